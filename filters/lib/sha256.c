#include "compat.h"

#include <sodium.h>

#include "sha256.h"

/*
 * SHA-256 for tend's hot paths.  Every log frame's content is hashed on
 * append and on read, and every resource's spec digest in normalize, so
 * the hash is on the hot path: libsodium's portable code runs at ~400
 * MB/s, while the x86 SHA extensions run at ~1.5 GB/s.  So: SHA-NI when
 * the CPU has it (checked once with cpuid), else libsodium.  The unit
 * tests check both against each other.
 */



#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_SHANI 1
#include <cpuid.h>
#include <immintrin.h>

#define SHANI __attribute__((target("sha,sse4.1,ssse3")))

static const uint32_t sha_k[64] = {
	0x428a2f98U, 0x71374491U, 0xb5c0fbcfU, 0xe9b5dba5U,
	0x3956c25bU, 0x59f111f1U, 0x923f82a4U, 0xab1c5ed5U,
	0xd807aa98U, 0x12835b01U, 0x243185beU, 0x550c7dc3U,
	0x72be5d74U, 0x80deb1feU, 0x9bdc06a7U, 0xc19bf174U,
	0xe49b69c1U, 0xefbe4786U, 0x0fc19dc6U, 0x240ca1ccU,
	0x2de92c6fU, 0x4a7484aaU, 0x5cb0a9dcU, 0x76f988daU,
	0x983e5152U, 0xa831c66dU, 0xb00327c8U, 0xbf597fc7U,
	0xc6e00bf3U, 0xd5a79147U, 0x06ca6351U, 0x14292967U,
	0x27b70a85U, 0x2e1b2138U, 0x4d2c6dfcU, 0x53380d13U,
	0x650a7354U, 0x766a0abbU, 0x81c2c92eU, 0x92722c85U,
	0xa2bfe8a1U, 0xa81a664bU, 0xc24b8b70U, 0xc76c51a3U,
	0xd192e819U, 0xd6990624U, 0xf40e3585U, 0x106aa070U,
	0x19a4c116U, 0x1e376c08U, 0x2748774cU, 0x34b0bcb5U,
	0x391c0cb3U, 0x4ed8aa4aU, 0x5b9cca4fU, 0x682e6ff3U,
	0x748f82eeU, 0x78a5636fU, 0x84c87814U, 0x8cc70208U,
	0x90befffaU, 0xa4506cebU, 0xbef9a3f7U, 0xc67178f2U,
};

/*
 * The state lives in two registers as the instructions want it, ABEF and
 * CDGH; each sha256rnds2 does two rounds, and message words 16..63 come
 * from sha256msg1/msg2 four at a time.
 */
static SHANI void
shani_blocks(uint32_t st[8], const unsigned char *p, size_t nblocks)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL,
	    0x0405060700010203LL);
	__m128i abef, cdgh, t, save0, save1, m, w[4];
	int r;

	t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)st), 0xB1);
	cdgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(st + 4)),
	    0x1B);
	abef = _mm_alignr_epi8(t, cdgh, 8);
	cdgh = _mm_blend_epi16(cdgh, t, 0xF0);
	while (nblocks-- > 0) {
		save0 = abef;
		save1 = cdgh;
		for (r = 0; r < 4; r++)
			w[r] = _mm_shuffle_epi8(_mm_loadu_si128(
			    (const __m128i *)(p + 16 * r)), bswap);
		for (r = 0; r < 16; r++) {
			if (r >= 4) {
				t = _mm_sha256msg1_epu32(w[r & 3],
				    w[(r + 1) & 3]);
				t = _mm_add_epi32(t, _mm_alignr_epi8(
				    w[(r + 3) & 3], w[(r + 2) & 3], 4));
				w[r & 3] = _mm_sha256msg2_epu32(t,
				    w[(r + 3) & 3]);
			}
			m = _mm_add_epi32(w[r & 3], _mm_loadu_si128(
			    (const __m128i *)(sha_k + 4 * r)));
			cdgh = _mm_sha256rnds2_epu32(cdgh, abef, m);
			m = _mm_shuffle_epi32(m, 0x0E);
			abef = _mm_sha256rnds2_epu32(abef, cdgh, m);
		}
		abef = _mm_add_epi32(abef, save0);
		cdgh = _mm_add_epi32(cdgh, save1);
		p += 64;
	}
	t = _mm_shuffle_epi32(abef, 0x1B);
	cdgh = _mm_shuffle_epi32(cdgh, 0xB1);
	_mm_storeu_si128((__m128i *)st, _mm_blend_epi16(t, cdgh, 0xF0));
	_mm_storeu_si128((__m128i *)(st + 4), _mm_alignr_epi8(cdgh, t, 8));
}

static int
have_shani(void)
{
	static int have = -1;
	unsigned a, b, c, d;

	if (have < 0) {
		have = 0;
		if (__get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSE4_1) &&
		    (c & bit_SSSE3) && __get_cpuid_count(7, 0, &a, &b, &c, &d))
			have = (b & bit_SHA) != 0;
		if (getenv("TEND_NO_SHANI") != NULL)
			have = 0;
	}
	return have;
}

static void
shani_final(uint32_t st[8], uint64_t total, const unsigned char *p,
    size_t rest, unsigned char out[32])
{
	unsigned char last[128];
	uint64_t bits = total * 8;
	size_t nlast;
	int i;

	memset(last, 0, sizeof(last));
	memcpy(last, p, rest);
	last[rest] = 0x80;
	nlast = rest < 56 ? 64 : 128;
	for (i = 0; i < 8; i++)
		last[nlast - 1 - i] = (unsigned char)(bits >> (8 * i));
	shani_blocks(st, last, nlast / 64);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (unsigned char)(st[i] >> 24);
		out[4 * i + 1] = (unsigned char)(st[i] >> 16);
		out[4 * i + 2] = (unsigned char)(st[i] >> 8);
		out[4 * i + 3] = (unsigned char)st[i];
	}
}
#endif

void
sha256_init(struct sha256 *h)
{
	static const uint32_t iv[8] = { 0x6a09e667U, 0xbb67ae85U,
	    0x3c6ef372U, 0xa54ff53aU, 0x510e527fU, 0x9b05688cU, 0x1f83d9abU,
	    0x5be0cd19U };

	h->total = 0;
	h->ni = 0;
#ifdef HAVE_SHANI
	h->ni = have_shani();
#endif
	memcpy(h->st, iv, sizeof(iv));
	if (!h->ni)
		crypto_hash_sha256_init(&h->s);
}

void
sha256_blocks(struct sha256 *h, const unsigned char *p, size_t n)
{
	h->total += n;
#ifdef HAVE_SHANI
	if (h->ni) {
		shani_blocks(h->st, p, n / 64);
		return;
	}
#endif
	crypto_hash_sha256_update(&h->s, p, n);
}

void
sha256_final(struct sha256 *h, const unsigned char *p, size_t n,
    unsigned char out[SHA256_LEN])
{
	size_t full = n - n % 64;

	sha256_blocks(h, p, full);
#ifdef HAVE_SHANI
	if (h->ni) {
		shani_final(h->st, h->total + n % 64, p + full, n % 64, out);
		return;
	}
#endif
	crypto_hash_sha256_update(&h->s, p + full, n % 64);
	crypto_hash_sha256_final(&h->s, out);
}

void
sha256(unsigned char out[SHA256_LEN], const void *p, size_t n)
{
	struct sha256 h;

	sha256_init(&h);
	sha256_final(&h, p, n, out);
}
