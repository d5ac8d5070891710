/*
 * Unit tests for sign.c and note.c: the RFC 8032 section 7.1 Ed25519
 * vectors and the Wycheproof Ed25519 verification vectors (in
 * shared/conformance/ed25519), Go's sumdb/note example key and note, key
 * files and their permissions, and C2SP checkpoints.
 *
 * Every Wycheproof case whose verdict differs from libsodium's is printed
 * with its tcId; the test fails if there is any.
 *
 * The conformance folder is $TEND_CONFORMANCE, else ../shared/conformance.
 * CMOCKA_MESSAGE_OUTPUT=TAP gives TAP output.
 */
#include "compat.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "conformance.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <sodium.h>

#include "base64.h"
#include "buf.h"
#include "json.h"
#include "merkle.h"
#include "note.h"
#include "sign.h"
#include "tenderr.h"

/* golang.org/x/mod/sumdb/note's documented example key and note. */
#define GO_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define GO_SKEY "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define GO_TEXT "If you think cryptography is the answer to your problem,\n" \
	"then you don't know what your problem is.\n"
#define GO_SIG "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"

/* Hex string token i into out (reset first); returns the byte count. */
static size_t
hex_at(const struct json_doc *d, int64_t i, struct buf *out)
{
	struct buf s = BUF_INIT;
	size_t len = 0;

	assert_true(i >= 0);
	assert_int_equal(d->tok[i].type, JSON_STRING);
	json_str_decode(d, (uint32_t)i, &s);
	buf_reset(out);
	buf_grow(out, s.len / 2 + 1);
	if (s.len > 0)
		assert_int_equal(sodium_hex2bin((unsigned char *)out->p,
		    s.len / 2 + 1, s.p, s.len, NULL, &len, NULL), 0);
	out->len = len;
	buf_release(&s);
	return len;
}

static void
test_rfc8032_vectors(void **state)
{
	struct buf text = BUF_INIT, seed = BUF_INIT, pub = BUF_INIT,
	    msg = BUF_INIT, sig = BUF_INIT;
	struct json_doc d;
	struct tend_err e = { 0, 0, "" };
	struct sign_key k;
	unsigned char got[SIGN_SIG_LEN];
	int64_t vs;
	uint32_t i;

	(void)state;
	read_conf("ed25519/rfc8032-7.1-ed25519.json", &text);
	json_doc_init(&d);
	assert_int_equal(json_parse(&d, text.p, text.len, &e), 0);
	vs = json_obj_get(&d, 0, "vectors");
	assert_true(vs >= 0);
	assert_int_equal(d.tok[vs].size, 5);
	for (i = 0; i < d.tok[vs].size; i++) {
		uint32_t v = (uint32_t)json_arr_at(&d, (uint32_t)vs, i);

		assert_int_equal(hex_at(&d, json_obj_get(&d, v,
		    "secret_key_hex"), &seed), 32);
		assert_int_equal(hex_at(&d, json_obj_get(&d, v,
		    "public_key_hex"), &pub), 32);
		hex_at(&d, json_obj_get(&d, v, "message_hex"), &msg);
		assert_int_equal(hex_at(&d, json_obj_get(&d, v,
		    "signature_hex"), &sig), 64);
		assert_int_equal(sign_key_from_seed(&k, "rfc8032",
		    (unsigned char *)seed.p, &e), 0);
		assert_memory_equal(k.pub, pub.p, 32);
		sign_detached(&k, msg.p, msg.len, got);
		assert_memory_equal(got, sig.p, 64);
		assert_int_equal(sign_verify(k.pub, msg.p, msg.len, got), 0);
		got[i] ^= 1;
		assert_int_equal(sign_verify(k.pub, msg.p, msg.len, got), -1);
		sign_key_wipe(&k);
	}
	json_doc_release(&d);
	buf_release(&text);
	buf_release(&seed);
	buf_release(&pub);
	buf_release(&msg);
	buf_release(&sig);
}

static void
test_wycheproof(void **state)
{
	struct buf text = BUF_INIT, pk = BUF_INIT, msg = BUF_INIT,
	    sig = BUF_INIT;
	struct json_doc d;
	struct tend_err e = { 0, 0, "" };
	int64_t groups;
	uint32_t g, t;
	size_t total = 0, valid = 0, disagree = 0;

	(void)state;
	read_conf("ed25519/wycheproof-ed25519_test.json", &text);
	json_doc_init(&d);
	assert_int_equal(json_parse(&d, text.p, text.len, &e), 0);
	groups = json_obj_get(&d, 0, "testGroups");
	assert_true(groups >= 0);
	for (g = 0; g < d.tok[groups].size; g++) {
		uint32_t grp = (uint32_t)json_arr_at(&d, (uint32_t)groups, g);
		int64_t key = json_obj_get(&d, grp, "publicKey");
		int64_t tests = json_obj_get(&d, grp, "tests");

		assert_true(key >= 0 && tests >= 0);
		assert_int_equal(hex_at(&d, json_obj_get(&d, (uint32_t)key,
		    "pk"), &pk), 32);
		for (t = 0; t < d.tok[tests].size; t++) {
			uint32_t tc = (uint32_t)json_arr_at(&d,
			    (uint32_t)tests, t);
			int64_t id, res = json_obj_get(&d, tc, "result");
			int want, got;

			assert_int_equal(json_int(&d,
			    (uint32_t)json_obj_get(&d, tc, "tcId"), &id), 0);
			hex_at(&d, json_obj_get(&d, tc, "msg"), &msg);
			hex_at(&d, json_obj_get(&d, tc, "sig"), &sig);
			want = json_str_eq(&d, (uint32_t)res, "valid");
			assert_true(want ||
			    json_str_eq(&d, (uint32_t)res, "invalid"));
			/* a signature is 64 bytes; any other length fails */
			got = sig.len == SIGN_SIG_LEN &&
			    sign_verify((unsigned char *)pk.p, msg.p, msg.len,
			    (unsigned char *)sig.p) == 0;
			total++;
			valid += (size_t)want;
			if (got != want) {
				disagree++;
				print_error("# wycheproof tcId %lld: expected "
				    "%s, libsodium says %s\n", (long long)id,
				    want ? "valid" : "invalid",
				    got ? "valid" : "invalid");
			}
		}
	}
	print_message("# wycheproof: %zu tests (%zu valid), %zu "
	    "disagreements\n", total, valid, disagree);
	assert_int_equal(total, 151);
	assert_int_equal(disagree, 0);
	json_doc_release(&d);
	buf_release(&text);
	buf_release(&pk);
	buf_release(&msg);
	buf_release(&sig);
}

static void
test_go_note_vectors(void **state)
{
	struct sign_key sk, vk, keys[2];
	struct tend_err e = { 0, 0, "" };
	struct buf b = BUF_INIT;
	size_t tl, signer;

	(void)state;
	assert_int_equal(sign_vkey_parse(&vk, GO_VKEY, strlen(GO_VKEY), &e),
	    0);
	assert_string_equal(vk.name, "PeterNeumann");
	assert_int_equal(vk.id, 0xc74f20a3);
	assert_int_equal(sign_skey_parse(&sk, GO_SKEY, strlen(GO_SKEY), &e),
	    0);
	assert_true(sk.has_secret);
	assert_memory_equal(sk.pub, vk.pub, 32);
	sign_vkey_format(&sk, &b);
	assert_string_equal(b.p, GO_VKEY);

	/* signing gives Go's note byte for byte (Ed25519 is deterministic) */
	buf_reset(&b);
	assert_int_equal(note_sign(&b, GO_TEXT, strlen(GO_TEXT), &sk, &e), 0);
	assert_string_equal(b.p, GO_TEXT "\n" GO_SIG);

	/* and it opens with the public key */
	assert_int_equal(note_open(b.p, b.len, &vk, 1, &tl, &signer, &e), 1);
	assert_int_equal(tl, strlen(GO_TEXT));
	assert_int_equal(signer, 0);

	/* a changed text does not */
	b.p[3] ^= 0x20;
	assert_int_equal(note_open(b.p, b.len, &vk, 1, &tl, NULL, &e), -1);
	assert_int_equal(e.code, TEND_EXIT_NO);
	b.p[3] ^= 0x20;

	/* another key of the same name is unknown: no known key signed */
	keys[0] = vk;
	keys[0].id ^= 1;
	assert_int_equal(note_open(b.p, b.len, keys, 1, &tl, NULL, &e), -1);
	assert_int_equal(e.code, TEND_EXIT_NO);
	/* a known key among others */
	keys[1] = vk;
	assert_int_equal(note_open(b.p, b.len, keys, 2, &tl, &signer, &e), 1);
	assert_int_equal(signer, 1);

	/* a known key whose id matches but whose signature is bad refuses */
	keys[0] = vk;
	keys[0].pub[0] ^= 1;
	assert_int_equal(note_open(b.p, b.len, keys, 2, &tl, NULL, &e), -1);
	assert_int_equal(e.code, TEND_EXIT_NO);

	sign_key_wipe(&sk);
	buf_release(&b);
}

static void
test_bad_keys_and_notes(void **state)
{
	struct sign_key k;
	struct tend_err e = { 0, 0, "" };
	struct buf b = BUF_INIT;
	size_t tl, i, j;
	static const char *const bad_notes[] = {
		"",
		"no newline",
		"text\n",			/* no signature */
		"text\n\n",			/* no signature lines */
		"text\n\n-- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
		"text\n\n\xe2\x80\x94 PeterNeumann x08go\n",
		"text\n\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
		"te\txt\n\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
		"text\n\n\xe2\x80\x94 Peter+Neumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
	};

	(void)state;
	/* every proper substring of the vkey is refused (Go's own test) */
	for (i = 0; i < strlen(GO_VKEY); i++)
		for (j = i + 1; j <= strlen(GO_VKEY); j++) {
			if (i == 0 && j == strlen(GO_VKEY))
				continue;
			assert_int_equal(sign_vkey_parse(&k, &GO_VKEY[i],
			    j - i, &e), -1);
		}
	/* a wrong key id */
	assert_int_equal(sign_vkey_parse(&k,
	    "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	    strlen(GO_VKEY), &e), -1);
	/* a signature type other than Ed25519 */
	{
		unsigned char kb[33];

		assert_int_equal(sign_vkey_parse(&k, GO_VKEY, strlen(GO_VKEY),
		    &e), 0);
		kb[0] = 0x02;
		memcpy(kb + 1, k.pub, 32);
		buf_adds(&b, "PeterNeumann+c74f20a3+");
		base64_encode(&b, kb, sizeof(kb), BASE64_STD);
		assert_int_equal(sign_vkey_parse(&k, b.p, b.len, &e), -1);
		if (strstr(e.msg, "type 2") == NULL)
			fail_msg("unexpected error: %s", e.msg);
		buf_reset(&b);
	}
	/* a vkey is not an skey and the other way round */
	assert_int_equal(sign_skey_parse(&k, GO_VKEY, strlen(GO_VKEY), &e),
	    -1);
	assert_int_equal(sign_vkey_parse(&k, GO_SKEY, strlen(GO_SKEY), &e),
	    -1);

	for (i = 0; i < ARRAY_SIZE(bad_notes); i++) {
		e.code = 0;
		assert_int_equal(note_split(bad_notes[i], strlen(bad_notes[i]),
		    &tl, &e), -1);
		assert_int_equal(e.code, TEND_EXIT_INPUT);
	}

	/* names */
	assert_int_equal(sign_name_check("example.org/tend", &e), 0);
	assert_int_equal(sign_name_check("h\xc3\xa9te/log", &e), 0);
	assert_int_equal(sign_name_check("", &e), -1);
	assert_int_equal(sign_name_check("a b", &e), -1);
	assert_int_equal(sign_name_check("a+b", &e), -1);
	assert_int_equal(sign_name_check("a\nb", &e), -1);
	assert_int_equal(sign_name_check("a\xc2\xa0z", &e), -1);
	assert_int_equal(sign_name_check("a\xe3\x80\x80z", &e), -1);
	assert_int_equal(sign_name_check("a\xff", &e), -1);

	/* texts note_sign refuses */
	assert_int_equal(sign_keygen(&k, "t", &e), 0);
	assert_int_equal(note_sign(&b, "x", 1, &k, &e), -1);
	assert_int_equal(note_sign(&b, "a\n\nb\n", 5, &k, &e), -1);
	assert_int_equal(note_sign(&b, "\n", 1, &k, &e), -1);
	assert_int_equal(note_sign(&b, "a\x01\n", 3, &k, &e), -1);
	assert_int_equal(b.len, 0);
	sign_key_wipe(&k);
	buf_release(&b);
}

static void
test_key_files(void **state)
{
	char dir[] = "/tmp/tend-sign-XXXXXX", sk[256], pk[256];
	struct sign_key k, l, p;
	struct tend_err e = { 0, 0, "" };
	struct stat st;
	unsigned char sig[SIGN_SIG_LEN];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sk, sizeof(sk), "%s/k.key", dir);
	snprintf(pk, sizeof(pk), "%s/k.pub", dir);
	assert_int_equal(sign_keygen(&k, "test.example/log", &e), 0);
	assert_int_equal(sign_key_write_secret(&k, sk, &e), 0);
	assert_int_equal(sign_key_write_public(&k, pk, &e), 0);
	assert_int_equal(stat(sk, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* never overwritten */
	assert_int_equal(sign_key_write_secret(&k, sk, &e), -1);
	assert_int_equal(e.code, TEND_EXIT_SYSTEM);

	assert_int_equal(sign_key_load_secret(&l, sk, &e), 0);
	assert_memory_equal(l.sk, k.sk, 64);
	assert_int_equal(l.id, k.id);
	assert_int_equal(sign_key_load_public(&p, pk, &e), 0);
	assert_memory_equal(p.pub, k.pub, 32);
	assert_false(p.has_secret);
	sign_detached(&l, "m", 1, sig);
	assert_int_equal(sign_verify(p.pub, "m", 1, sig), 0);

	/* a public key file is not a secret key, and the other way round */
	assert_int_equal(sign_key_load_secret(&l, pk, &e), -1);
	assert_int_equal(e.code, TEND_EXIT_INPUT);
	assert_int_equal(chmod(pk, 0600), 0);
	assert_int_equal(sign_key_load_secret(&l, pk, &e), -1);
	assert_int_equal(sign_key_load_public(&l, sk, &e), -1);
	assert_int_equal(e.code, TEND_EXIT_INPUT);
	assert_null(strstr(e.msg, "AY"));

	/* group or other bits: refused, naming the mode */
	assert_int_equal(chmod(sk, 0640), 0);
	assert_int_equal(sign_key_load_secret(&l, sk, &e), -1);
	assert_int_equal(e.code, TEND_EXIT_INPUT);
	assert_non_null(strstr(e.msg, "0640"));
	assert_int_equal(chmod(sk, 0400), 0);
	assert_int_equal(sign_key_load_secret(&l, sk, &e), 0);

	/* missing file */
	assert_int_equal(sign_key_load_public(&l, "/nonexistent/k.pub", &e),
	    -1);
	assert_int_equal(e.code, TEND_EXIT_SYSTEM);

	unlink(sk);
	unlink(pk);
	rmdir(dir);
	sign_key_wipe(&k);
	sign_key_wipe(&l);
}

static void
test_checkpoint_text(void **state)
{
	struct note_checkpoint cp, back;
	struct tend_err e = { 0, 0, "" };
	struct buf b = BUF_INIT;
	static const char *const bad[] = {
		"",
		"origin\n",
		"origin\n12\n",
		"origin\n012\nXcnaeacGgjyUOSYdSPeq9TtBEWKu0Lxk+Zoq9VCIWM0=\n",
		"origin\n-1\nXcnaeacGgjyUOSYdSPeq9TtBEWKu0Lxk+Zoq9VCIWM0=\n",
		"origin\n18446744073709551616\nXcnaeacGgjyUOSYdSPeq9TtBEWKu0Lxk+Zoq9VCIWM0=\n",
		"origin\n12\nV3JvbmdSb290\n",
		"origin\n12\nXcnaeacGgjyUOSYdSPeq9TtBEWKu0Lxk+Zoq9VCIWM0=",
		"\n12\nXcnaeacGgjyUOSYdSPeq9TtBEWKu0Lxk+Zoq9VCIWM0=\n",
		"origin\n12\nXcnaeacGgjyUOSYdSPeq9TtBEWKu0Lxk+Zoq9VCIWM0=\n\next\n",
	};
	size_t i;

	(void)state;
	memset(&cp, 0, sizeof(cp));
	strlcpy(cp.origin, "example.org/log", sizeof(cp.origin));
	cp.size = 18446744073709551615ULL;
	assert_int_equal(base64_decode_exact(cp.root, 32,
	    "XcnaeacGgjyUOSYdSPeq9TtBEWKu0Lxk+Zoq9VCIWM0=", 44), 0);
	note_checkpoint_format(&cp, &b);
	assert_string_equal(b.p, "example.org/log\n18446744073709551615\n"
	    "XcnaeacGgjyUOSYdSPeq9TtBEWKu0Lxk+Zoq9VCIWM0=\n");
	assert_int_equal(note_checkpoint_parse(&back, b.p, b.len, &e), 0);
	assert_memory_equal(&back, &cp, sizeof(cp));
	/* extension lines are accepted */
	buf_adds(&b, "ext one\n");
	assert_int_equal(note_checkpoint_parse(&back, b.p, b.len, &e), 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		e.code = 0;
		assert_int_equal(note_checkpoint_parse(&back, bad[i],
		    strlen(bad[i]), &e), -1);
		assert_int_equal(e.code, TEND_EXIT_INPUT);
	}
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc8032_vectors),
		cmocka_unit_test(test_wycheproof),
		cmocka_unit_test(test_go_note_vectors),
		cmocka_unit_test(test_bad_keys_and_notes),
		cmocka_unit_test(test_key_files),
		cmocka_unit_test(test_checkpoint_text),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("sign", tests, NULL, NULL);
}
