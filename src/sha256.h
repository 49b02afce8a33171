/* SHA-256 (FIPS 180-4), for verifying image blobs against their digests
 * without a crypto library dependency. */
#ifndef SBX_SHA256_H
#define SBX_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sbx_sha256 {
  uint32_t h[8];
  uint64_t length;              /* bytes hashed so far */
  unsigned char block[64];
  size_t fill;
};

void sbx_sha256_init (struct sbx_sha256 *ctx);
void sbx_sha256_update (struct sbx_sha256 *ctx, const void *data, size_t len);
/* Writes the digest as 64 lowercase hex digits and a NUL into HEX. */
void sbx_sha256_final_hex (struct sbx_sha256 *ctx, char hex[65]);

#endif
