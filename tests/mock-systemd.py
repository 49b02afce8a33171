#!/usr/bin/python3
"""A stand-in for the systemd user manager, for tests/limits-systemd.t.

  mock-systemd.py serve MODE LOG PARENT...
      Owns org.freedesktop.systemd1 on the session bus (DBUS_SESSION_BUS_ADDRESS)
      and answers Manager.StartTransientUnit. Every call is appended to LOG as
      one JSON line (unit, mode, properties). MODE:
        done   - makes the scope's cgroup PARENT/UNIT in every PARENT (cgroup
                 folders the caller may write: the v2 one and, on a hybrid
                 host, the v1 ones), writes the limit properties it knows to
                 the cgroup files there, moves the PIDs in, and reports the
                 job with JobRemoved(..., "done"), as systemd does.
        failed - accepts the job, then reports JobRemoved(..., "failed").
        error  - answers with the D-Bus error org.freedesktop.systemd1.UnitExists.
      Writes LOG.ready once it owns the name.

  mock-systemd.py run [systemd-run options] -- COMMAND...
      A stand-in for `systemd-run --user --scope`: asks the manager on the
      session bus for a scope holding its own pid (with the -p properties it
      was given), waits for the job, then executes COMMAND.
"""
import json
import os
import sys

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

BUS_NAME = "org.freedesktop.systemd1"
PATH = "/org/freedesktop/systemd1"
MANAGER = "org.freedesktop.systemd1.Manager"


def plain(value):
    """D-Bus values as JSON ones."""
    if isinstance(value, dbus.Boolean):
        return bool(value)
    if isinstance(value, (dbus.Array, list)):
        return [plain(v) for v in value]
    if isinstance(value, (dbus.Struct, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (int, dbus.UInt64, dbus.UInt32, dbus.Int64, dbus.Int32)):
        return int(value)
    return str(value)


def write(folder, name, value):
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        return
    try:
        with open(path, "w") as f:
            f.write(value)
    except OSError as e:
        print("mock-systemd: %s: %s" % (path, e), file=sys.stderr)


UNLIMITED = 2**64 - 1


def apply_limits(folder, props):
    """What systemd would write for these properties, in v2 or v1 terms."""
    def cap(v, word):
        return word if v == UNLIMITED else str(v)
    if "MemoryMax" in props:
        write(folder, "memory.max", cap(props["MemoryMax"], "max"))
        write(folder, "memory.limit_in_bytes", cap(props["MemoryMax"], "-1"))
    if "TasksMax" in props:
        write(folder, "pids.max", cap(props["TasksMax"], "max"))
    if "CPUQuotaPerSecUSec" in props:
        quota = props["CPUQuotaPerSecUSec"] // 10
        write(folder, "cpu.max", "%d 100000" % quota)
        write(folder, "cpu.cfs_period_us", "100000")
        write(folder, "cpu.cfs_quota_us", str(quota))


class Manager(dbus.service.Object):
    def __init__(self, bus, mode, log, parents):
        super().__init__(bus, PATH)
        self.mode, self.log, self.parents = mode, log, parents
        self.jobs = 0

    @dbus.service.signal(MANAGER, signature="uoss")
    def JobRemoved(self, job_id, job, unit, result):
        pass

    @dbus.service.method(MANAGER, in_signature="ssa(sv)a(sa(sv))", out_signature="o")
    def StartTransientUnit(self, unit, mode, properties, aux):
        props = {str(k): plain(v) for k, v in properties}
        with open(self.log, "a") as f:
            f.write(json.dumps({"unit": str(unit), "mode": str(mode), "properties": props}) + "\n")
        if self.mode == "error":
            raise dbus.exceptions.DBusException("Unit %s already exists." % unit,
                                                name="org.freedesktop.systemd1.UnitExists")
        self.jobs += 1
        job_id = self.jobs
        job = "%s/job/%d" % (PATH, job_id)
        result = "failed"
        if self.mode == "done":
            result = "done"
            for parent in self.parents:
                folder = os.path.join(parent, str(unit))
                os.makedirs(folder, exist_ok=True)
                apply_limits(folder, props)
                for pid in props.get("PIDs", []):
                    write(folder, "cgroup.procs", str(pid))
        # After the reply, as systemd runs the job after queueing it.
        GLib.idle_add(lambda: self.JobRemoved(job_id, job, unit, result) and False)
        return dbus.ObjectPath(job)


def serve(mode, log, parents):
    DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    name = dbus.service.BusName(BUS_NAME, bus, do_not_queue=True)
    Manager(bus, mode, log, parents)
    with open(log + ".ready", "w") as f:
        f.write("%d\n" % os.getpid())
    loop = GLib.MainLoop()
    loop.run()
    del name


def run(args):
    """systemd-run --user --scope [-p NAME=VALUE]... -- COMMAND..."""
    props = [("PIDs", dbus.Array([dbus.UInt32(os.getpid())], signature="u"))]
    i = 0
    while i < len(args) and args[i] != "--":
        if args[i] == "-p":
            key, _, value = args[i + 1].partition("=")
            if value in ("yes", "no", "true", "false"):
                props.append((key, dbus.Boolean(value in ("yes", "true"))))
            else:
                props.append((key, value))
            i += 1
        i += 1
    command = args[i + 1:]
    DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    loop = GLib.MainLoop()
    state = {"job": None, "result": None}

    def removed(job_id, job, unit, result):
        if job == state["job"]:
            state["result"] = str(result)
            loop.quit()
    bus.add_signal_receiver(removed, "JobRemoved", MANAGER, None, PATH)
    manager = dbus.Interface(bus.get_object(BUS_NAME, PATH), MANAGER)
    unit = "run-u%d.scope" % os.getpid()
    try:
        state["job"] = manager.StartTransientUnit(unit, "fail", dbus.Array(props, signature="(sv)"),
                                                  dbus.Array([], signature="(sa(sv))"))
    except dbus.exceptions.DBusException as e:
        print("Failed to start transient scope unit: %s" % e.get_dbus_message(), file=sys.stderr)
        sys.exit(1)
    if state["result"] is None:
        loop.run()
    if state["result"] != "done":
        print("Job for %s failed." % unit, file=sys.stderr)
        sys.exit(1)
    os.execvp(command[0], command)


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif len(sys.argv) >= 2 and sys.argv[1] == "run":
        run(sys.argv[2:])
    else:
        sys.exit(__doc__)
