// SPDX-License-Identifier: GPL-2.0
/*
 * A QEMU TCG plugin for scripts/bpfwg bench --insn: counts the guest's
 * executed instructions, all vCPUs together (run QEMU with one TCG thread,
 * -accel tcg,thread=single, for an exact sum), and writes the count so far
 * to QEMU's log each time the guest executes the marker instruction
 * "xchg %bx,%bx" (66 87 db, which nothing else runs; mark.c), then the
 * total at exit:
 *   bpfwg-insn mark COUNT
 *   bpfwg-insn total COUNT
 * Built against qemu-plugin.h of the QEMU source package the host runs.
 */
#include <stdio.h>
#include <string.h>
#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

static const unsigned char marker[] = { 0x66, 0x87, 0xdb };
static uint64_t insns;

static void outs(const char *what)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "bpfwg-insn %s %llu\n", what,
		 (unsigned long long)insns);
	qemu_plugin_outs(buf);
}

static void mark(unsigned int vcpu_index, void *udata)
{
	outs("mark");
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t i, n = qemu_plugin_tb_n_insns(tb);

	/* Whole translation blocks: one that an exception leaves part way
	 * is counted whole, a small excess.
	 */
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 &insns, n);
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

		if (qemu_plugin_insn_size(insn) == sizeof(marker) &&
		    !memcmp(qemu_plugin_insn_data(insn), marker, sizeof(marker)))
			qemu_plugin_register_vcpu_insn_exec_cb(insn, mark,
							       QEMU_PLUGIN_CB_NO_REGS,
							       NULL);
	}
}

static void at_exit(qemu_plugin_id_t id, void *p)
{
	outs("total");
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info, int argc,
					   char **argv)
{
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
