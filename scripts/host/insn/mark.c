// SPDX-License-Identifier: GPL-2.0
/* Runs in the guest: the marker instruction of insn-count.c, once. */
int main(void)
{
	__asm__ volatile("xchg %%bx, %%bx" ::: "rbx");
	return 0;
}
