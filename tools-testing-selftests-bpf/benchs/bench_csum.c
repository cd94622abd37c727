// SPDX-License-Identifier: GPL-2.0
/*
 * The Internet checksum of the first 1420 bytes of a 1500-byte XDP frame,
 * in ns per operation, timed in BPF:
 *   csum-kfunc: bpf_xdp_csum();
 *   csum-diff:  bpf_csum_diff() three times (it takes at most 512 bytes).
 * The two sums must be equal, or the benchmark fails.
 */
#include <stdlib.h>
#include "bench.h"
#include "bench_bpf_timing.h"
#include "csum_bench.skel.h"

#define FRAME_LEN	1500

static struct csum_ctx {
	struct csum_bench *skel;
	struct bpf_bench_timing timing;
	int prog_fd;
	__u8 frame[FRAME_LEN];
} ctx;

static void csum_validate(void)
{
	if (env.consumer_cnt != 0) {
		fprintf(stderr, "benchmark doesn't support consumers\n");
		exit(1);
	}
}

static void csum_run_once(void *unused __always_unused)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = ctx.frame,
		    .data_size_in = sizeof(ctx.frame));

	bpf_prog_test_run_opts(ctx.prog_fd, &topts);
}

/* Folded to 16 bits, 0xffff (negative zero) as 0. */
static __u16 canon(__u64 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff ? 0 : sum;
}

/* The sum @prog leaves for the frame, folded, or -1. */
static int run_sum(struct bpf_program *prog)
{
	ctx.prog_fd = bpf_program__fd(prog);
	csum_run_once(NULL);
	return ctx.skel->bss->sum < 0 ? -1 : canon(ctx.skel->bss->sum);
}

static void csum_setup(struct bpf_program *(*prog)(struct csum_bench *skel))
{
	int kfunc, diff;
	size_t i;

	setup_libbpf();
	ctx.skel = csum_bench__open_and_load();
	if (!ctx.skel) {
		fprintf(stderr, "failed to open and load the skeleton\n");
		exit(1);
	}
	srand(1);
	for (i = 0; i < sizeof(ctx.frame); i++)
		ctx.frame[i] = rand();
	/* Two implementations, one sum. */
	kfunc = run_sum(ctx.skel->progs.bench_csum_kfunc);
	diff = run_sum(ctx.skel->progs.bench_csum_diff);
	if (kfunc < 0 || kfunc != diff) {
		fprintf(stderr, "sums differ: bpf_xdp_csum() %d, bpf_csum_diff() %d\n",
			kfunc, diff);
		exit(1);
	}
	ctx.prog_fd = bpf_program__fd(prog(ctx.skel));
	BENCH_TIMING_INIT(&ctx.timing, ctx.skel, 0);
	bpf_bench_calibrate(&ctx.timing, csum_run_once, NULL);
	env.duration_sec = 600;
}

static struct bpf_program *prog_kfunc(struct csum_bench *skel)
{
	return skel->progs.bench_csum_kfunc;
}

static struct bpf_program *prog_diff(struct csum_bench *skel)
{
	return skel->progs.bench_csum_diff;
}

static void csum_setup_kfunc(void)
{
	csum_setup(prog_kfunc);
}

static void csum_setup_diff(void)
{
	csum_setup(prog_diff);
}

static void *csum_producer(void *unused)
{
	while (true)
		csum_run_once(NULL);
	return NULL;
}

static void csum_measure(struct bench_res *res)
{
	bpf_bench_timing_measure(&ctx.timing, res);
}

static void csum_report_final(struct bench_res res[], int res_cnt)
{
	bpf_bench_timing_report(&ctx.timing, env.bench_name, NULL);
}

#define CSUM_BENCH(_name, _setup)			\
	{						\
		.name = _name,				\
		.validate = csum_validate,		\
		.setup = _setup,			\
		.producer_thread = csum_producer,	\
		.measure = csum_measure,		\
		.report_final = csum_report_final,	\
	}

const struct bench bench_csum_kfunc = CSUM_BENCH("csum-kfunc", csum_setup_kfunc);
const struct bench bench_csum_diff = CSUM_BENCH("csum-diff", csum_setup_diff);
