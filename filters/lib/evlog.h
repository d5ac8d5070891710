/*
 * evlog.h: the event log, SPEC section 4: append-only, zstd, crash-safe,
 * fast to replay.
 *
 * FORMAT.  A log is a concatenation of "units", one per flush:
 *
 *	lead	a zstd skippable frame, 24 bytes:
 *		u32 0x184D2A5B, u32 16, u64 frame_no, u64 data_len
 *	data	one standard zstd frame (content checksum on, content size
 *		in the header) holding whole NDJSON lines, each ending "\n"
 *	seal	a zstd skippable frame, 232 bytes:
 *		u32 0x184D2A5C, u32 224, then the 224-byte payload:
 *		  0  "tendlog1"		signature and format version
 *		  8  frame_no		0, 1, 2, ... gap-free
 *		 16  data_off		byte offset of the data frame
 *		 24  data_len		its compressed length
 *		 32  raw_len		its content length
 *		 40  first_seq		seq of its first event
 *		 48  count		events in it (>= 1)
 *		 56  min_time		least event time, ns since the epoch
 *		 64  max_time		greatest event time
 *		 72  prefix_min_time	least time of frames 0..frame_no
 *		 80  prefix_max_time	greatest time of frames 0..frame_no
 *		 88  total_raw		content bytes of frames 0..frame_no
 *		 96  jump_no		a skip pointer: an earlier frame
 *		104  jump_off		byte offset of that frame's seal
 *		112  flags		bit 0: every event has a time
 *		120  hash		SHA-256 of the content
 *		152  data_hash		SHA-256 of the data frame's bytes
 *		184  chain		SHA-256 of the previous chain (32 zero
 *					bytes before frame 0), then
 *					payload[0..184)
 *		216  check		SHA-256(payload[0..216)), 8 bytes
 *
 * Integers are little-endian; times are int64 (a frame with no timed
 * event has min_time INT64_MAX and max_time INT64_MIN).  Units follow each
 * other with nothing between them, so frame k's lead starts where frame
 * k-1's seal ends, and an empty file is an empty log.  Standard decoders
 * skip the lead and seal, so `zstdcat LOG` prints the NDJSON of an intact
 * log.  Every stored line is the line its writer gave, byte for byte, with
 * "seq":N, inserted right after its opening brace.
 *
 * A unit is written with one write while holding an exclusive flock(2) on
 * the log; the seal comes last, so a unit with its seal is complete.  A
 * writer killed mid-write leaves a proper prefix of a unit after the last
 * seal: the "torn tail".  Readers stop before it and report it; the next
 * writer copies it to LOG.torn-N (N the first free number), cuts it off
 * (ftruncate, fsync) and goes on.  Anything else after the last seal is
 * damage, which writers refuse to touch.
 *
 * Seeking: jump pointers form a skew-binary skip list (Myers 1983): a new
 * frame n with parent p = n-1 jumps to jump(jump(p)) when
 * p - jump(p) == jump(p) - jump(jump(p)), else to p; frame 0 jumps to
 * itself.  Walking from the last seal, "take the jump if it still
 * satisfies the predicate, else step to the parent" finds the first frame
 * whose last seq (or prefix_max_time) reaches a bound in O(log frames)
 * reads of a seal, without decompressing anything.
 *
 * Durability: EVLOG_SYNC_ALWAYS fdatasyncs every unit before the writer
 * hands its lines back; EVLOG_SYNC_BATCH at least once a second, on flush
 * and on close; EVLOG_SYNC_NEVER leaves it to the kernel.  An event is
 * "acknowledged" once the unit holding it is fsync'd.
 *
 * What it does not do: no rotation, no compaction, no removal of events;
 * it never rewrites a byte before the tail it cuts.  It does not check
 * events against schemas (schema.h).  Signatures and Merkle proofs are
 * attest's.
 */
#ifndef TEND_EVLOG_H
#define TEND_EVLOG_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "event.h"
#include "tenderr.h"

#define EVLOG_LEAD_MAGIC	0x184D2A5BU
#define EVLOG_SEAL_MAGIC	0x184D2A5CU
#define EVLOG_LEAD_SIZE		24
#define EVLOG_SEAL_SIZE		232
#define EVLOG_SEAL_PAYLOAD	224
#define EVLOG_HASH_LEN		32
#define EVLOG_FLAG_ALL_TIMED	1u

#define EVLOG_FRAME_BYTES_DEFAULT	(1u << 20)
#define EVLOG_FRAME_EVENTS_DEFAULT	65536
#define EVLOG_LEVEL_DEFAULT		3
/* A frame is committed once its first event is this old. */
#define EVLOG_FRAME_AGE_NS		1000000000LL
/* Readers refuse frames claiming more content than this. */
#define EVLOG_MAX_RAW			((uint64_t)1 << 32)

struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s;

enum evlog_sync {
	EVLOG_SYNC_BATCH,
	EVLOG_SYNC_ALWAYS,
	EVLOG_SYNC_NEVER,
};

/* A seal, decoded. */
struct evlog_seal {
	uint64_t frame_no;
	uint64_t data_off, data_len, raw_len;
	uint64_t first_seq, count;
	int64_t	 min_time, max_time, prefix_min_time, prefix_max_time;
	uint64_t total_raw;
	uint64_t jump_no, jump_off;
	uint64_t flags;
	unsigned char hash[EVLOG_HASH_LEN];
	unsigned char data_hash[EVLOG_HASH_LEN];
	unsigned char chain[EVLOG_HASH_LEN];
	uint64_t off;		/* where this seal starts (not stored) */
	unsigned char raw[EVLOG_SEAL_SIZE];	/* the bytes as read */
};

/* Parses "sync" modes: 0, or -1 if s is none of always, batch, never. */
int	 evlog_sync_parse(const char *s, enum evlog_sync *);

/*
 * Decodes the seal frame at p[0..EVLOG_SEAL_SIZE) into s (s->off is left
 * alone).  Returns 0, or -1 with err (TEND_EXIT_INPUT) when the magic,
 * size, signature or check is wrong.  It does not check the chain or the
 * data frame: see evlog_reader_next.
 */
int	 evlog_seal_decode(const unsigned char *p, struct evlog_seal *s,
	    struct tend_err *);

/* SHA-256 of p[0..n) into out (SHA-NI when the CPU has it). */
void	 evlog_sha256(unsigned char out[EVLOG_HASH_LEN], const void *p,
	    size_t n);

/* ---------------------------------------------------------------- */

struct evlog_writer_opts {
	enum evlog_sync sync;
	int	 level;		/* zstd level */
	size_t	 frame_bytes;	/* content bytes that end a frame */
	size_t	 frame_events;	/* events that end a frame */
};

/* Where each pending line sits in the frame content. */
struct evlog_wline {
	size_t	 start;		/* first byte of the stored line */
	size_t	 digits;	/* first digit of its seq */
	size_t	 ndigits;
	size_t	 end;		/* the byte after its "\n" */
};

/* A frame being filled, or being written by the worker. */
struct evlog_frame {
	struct buf content;	/* the stored lines */
	struct evlog_wline *lines;
	size_t	 nlines, linescap;
	uint64_t first_seq;	/* guessed; settled under the lock */
	int64_t	 min_time, max_time;
	int	 all_timed;
	int64_t	 started;	/* CLOCK_MONOTONIC ns of its first event */
	unsigned char hash[EVLOG_HASH_LEN];	/* of content, as guessed */
};

/*
 * The writer fills one frame while a worker thread writes the one before
 * (compression, the lock, the write and the fsync), so parsing and
 * compressing run side by side.  Fields marked (worker) belong to the
 * worker while w->job is set.
 */
struct evlog_reader;

struct evlog_writer {
	int	 fd;
	char	*path;
	struct evlog_writer_opts opt;
	struct event ev;
	struct evlog_frame frame[2];
	struct evlog_frame *cur;	/* being filled */
	uint64_t next_seq;	/* guess for the next frame */
	int	 failed;	/* cannot go on (I/O error, damaged log) */
	/* the worker */
	pthread_t thread;
	int	 threaded;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct evlog_frame *job;	/* being written (worker) */
	int	 quit;
	int	 job_rc;
	struct tend_err job_err;
	struct ZSTD_CCtx_s *cctx;	/* (worker) */
	struct buf unit;	/* lead, data frame, seal (worker) */
	struct buf scratch;	/* (worker) */
	struct buf done;	/* stored lines written (worker) */
	uint64_t tail_next;	/* next seq after the last unit (worker) */
	int	 dirty;		/* written since the last fsync (worker) */
	int64_t	 synced;	/* CLOCK_MONOTONIC ns of it (worker) */
	int	 cut;		/* a torn tail was cut (worker) */
	uint64_t cut_off, cut_len;	/* (worker) */
	char	*cut_path;	/* (worker) */
	/* a torn tail cut off by this writer, for the caller to report */
	int	 torn_new;
	uint64_t torn_off, torn_len;
	char	*torn_path;
	/* counters */
	uint64_t events, frames;
	/* events that come with a seq: checked against the log (main) */
	struct evlog_reader *check;
	int	 check_frame;	/* check holds a decoded frame */
};

/*
 * Opens (creating it, mode 0666 & ~umask) the log at path for appending.
 * opts NULL means the defaults (batch, level 3, 1 MiB, 65536 events).
 * Nothing is locked or read until the first frame is written.  Returns 0,
 * or -1 with err (TEND_EXIT_SYSTEM) when the file cannot be opened.
 */
int	 evlog_writer_open(struct evlog_writer *, const char *path,
	    const struct evlog_writer_opts *, struct tend_err *);

/*
 * Queues one event line (without its newline) for the log.  The line is
 * checked with event_parse; one with a `seq` attribute is refused, since
 * seq is the log's to give.
 *
 * An event's stored line (with its seq) is known only once its frame is
 * written, under the lock: whenever this call writes a frame (at the size
 * or event bound, or when the frame's first event is a second old) the
 * stored lines of the frame written before it, each with its "\n", are
 * appended to out (which may be NULL), so out gets every stored line once
 * and in order, but later than the call that queued it.  Under
 * EVLOG_SYNC_ALWAYS a frame is fsync'd before its lines are handed back.
 *
 * Returns 0, or -1 with err: TEND_EXIT_INPUT for a bad line (nothing was
 * queued, w->failed stays 0 and the writer can go on); otherwise w->failed
 * is set and the writer can only be closed.  A log that is damaged (not
 * just torn) gives TEND_EXIT_INPUT with failed set.
 */
int	 evlog_writer_append(struct evlog_writer *, const char *line,
	    size_t len, struct buf *out, struct tend_err *);

/* Writes the pending frames, if any (their lines to out), and fsyncs
   unless the mode is EVLOG_SYNC_NEVER.  0, or -1 with err and w->failed
   set.  On return nothing is pending or in flight. */
int	 evlog_writer_flush(struct evlog_writer *, struct buf *out,
	    struct tend_err *);

/* CLOCK_MONOTONIC ns by which the pending frame should be written (its
   first event plus EVLOG_FRAME_AGE_NS), or -1 if nothing is pending. */
int64_t	 evlog_writer_deadline(const struct evlog_writer *);

/*
 * Flushes as evlog_writer_flush (unless w->failed), stops the worker,
 * closes the file and frees everything (w is left zeroed).  Returns 0,
 * or -1 with err.
 */
int	 evlog_writer_close(struct evlog_writer *, struct buf *out,
	    struct tend_err *);

/* ---------------------------------------------------------------- */

/* Which frames a reader wants; frames that cannot hold a wanted event are
   skipped from their seal, without reading or decompressing data. */
struct evlog_range {
	uint64_t seq_min, seq_max;	/* 0, UINT64_MAX: all */
	int64_t	 time_min, time_max;	/* INT64_MIN, INT64_MAX: all */
	int	 timed;		/* time bounds set: untimed events miss */
};

void	 evlog_range_all(struct evlog_range *);

struct evlog_reader {
	int	 fd;
	char	*path;
	struct ZSTD_DCtx_s *dctx;
	unsigned char *win;	/* a read window over the file */
	size_t	 wincap, winlen;
	uint64_t winoff;
	struct buf content;	/* the current frame's lines */
	struct evlog_seal seal;	/* the current frame's seal */
	size_t	 evpos;		/* evlog_reader_event's place in content */
	uint64_t pos;		/* offset of the next unit */
	uint64_t frame_no;	/* number of the next frame */
	uint64_t next_seq;	/* seq the next frame must start with */
	int	 seq_known;	/* next_seq is known (not after damage) */
	unsigned char chain[EVLOG_HASH_LEN];	/* of the frame before pos */
	int	 chain_known;
	int	 check_hash;	/* check the content's SHA-256 (default 0) */
	int	 check_data_hash;	/* and the data frame's (default 1) */
	int	 done;		/* past range.seq_max: nothing more to find */
	int	 broken;	/* framing lost: cannot go on past pos */
	uint64_t torn_off;	/* after next() returned 0: a torn tail */
	uint64_t torn_len;	/* (0: none) */
	uint64_t size;		/* the file size last seen */
};

/* Opens the log for reading.  0, or -1 with err (TEND_EXIT_SYSTEM). */
int	 evlog_reader_open(struct evlog_reader *, const char *path,
	    struct tend_err *);
void	 evlog_reader_close(struct evlog_reader *);

/*
 * Finds the last complete frame: 1 with its seal in *tail, 0 if the log
 * holds none, -1 with err.  Sets r->torn_off/torn_len to what follows it
 * when that is a torn tail; what follows it and is not a torn tail
 * (damage) gives -1 with TEND_EXIT_INPUT.  Does not move the reader.
 */
int	 evlog_reader_tail(struct evlog_reader *, struct evlog_seal *tail,
	    struct tend_err *);

/*
 * Positions the reader at the first frame holding a seq >= seq, or whose
 * prefix_max_time >= t (so no earlier frame holds an event at or after t),
 * reading only seals.  Returns 0, or -1 with err.  With no such frame the
 * reader is at the end of the log.
 */
int	 evlog_reader_seek_seq(struct evlog_reader *, uint64_t seq,
	    struct tend_err *);
int	 evlog_reader_seek_time(struct evlog_reader *, int64_t t,
	    struct tend_err *);

/*
 * Reads the next frame that range (NULL: all) may want: decodes it into
 * r->content, checks the zstd checksum, its seal, the seal's hashes of the
 * content and of the data frame (when r->check_hash, r->check_data_hash:
 * zstd ignores some header bits), the chain and the seq, and only then
 * returns 1 with r->seal set.  Returns 0 at the end of the complete
 * frames: r->done when past range->seq_max, r->torn_len when a torn tail
 * follows (a partial unit that stays partial under a shared lock, so not
 * one being written).  Returns -1 with err (TEND_EXIT_INPUT and
 * err->offset the unit's offset) for a damaged frame, whose lines are not
 * given; if !r->broken the reader is past it and can go on; or
 * TEND_EXIT_SYSTEM for I/O errors.
 */
int	 evlog_reader_next(struct evlog_reader *, const struct evlog_range *,
	    struct tend_err *);

/*
 * The next line of the current frame: 1 with *line and *len (no newline;
 * pointing into r->content) and *seq (0 if the line does not start with
 * the {"seq":N, the log puts there), 0 after the last.
 */
int	 evlog_reader_event(struct evlog_reader *, const char **line,
	    size_t *len, uint64_t *seq);

/* What evlog_repair cut off: nothing when len is 0. */
struct evlog_repair {
	uint64_t off, len;	/* the bytes after the last sound seal */
	int	 torn;		/* they were a torn tail (append cuts those) */
	char	*saved;		/* LOG.torn-N, which holds them (free it) */
};

/*
 * Under the writers' lock, moves whatever follows the log's last sound
 * seal (a torn tail, or garbage a power loss left, or the remains of a
 * last unit whose seal is damaged) to path.torn-N and cuts it off, so
 * that appending can go on.  Damage before the last seal is not touched.
 * Returns 0 (rp says what was cut), or -1 with err.
 */
int	 evlog_repair(const char *path, struct evlog_repair *rp,
	    struct tend_err *err);

/* ---------------------------------------------------------------- */

struct evlog_verify_stats {
	uint64_t frames, events, last_seq, bytes, raw_bytes;
	uint64_t torn_off, torn_len;
	uint64_t problems;
	unsigned char head[EVLOG_HASH_LEN];	/* the last frame's chain */
};

/*
 * Checks the whole log: framing, frame numbers, zstd checksums, seals,
 * content hashes, the hash chain, seq (every event parsed: seq attribute
 * gap-free from 1), the seal's times, prefix fields and jump pointers.
 * Each problem is passed to report(arg, frame_no, byte offset, seq, what)
 * (seq 0 when not known) and counted in st->problems; a torn tail is one
 * problem too.  Returns 0 when it could read the log (st says whether it
 * is intact), -1 with err (TEND_EXIT_SYSTEM) when it could not.
 */
int	 evlog_verify(const char *path, struct evlog_verify_stats *st,
	    void (*report)(void *, uint64_t frame, uint64_t off, uint64_t seq,
	    const char *what), void *arg, struct tend_err *);

#endif
