// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Probe placement by disassembly; see place.h. */
#include <capstone/capstone.h>
#include <stdbool.h>
#include <stdint.h>
#include "place.h"

#define PREFIX_MAX	16		/* instructions looked at before giving up */

/* The instructions arch/x86/kernel/uprobes.c emulates instead of single-stepping. */
static bool emulated(const __u8 *b, size_t n)
{
	if (n >= 1 && (b[0] == 0xe8 || b[0] == 0xe9 || b[0] == 0xeb))
		return true;			/* call rel32, jmp rel32, jmp rel8 */
	if (n >= 1 && b[0] >= 0x70 && b[0] <= 0x7f)
		return true;			/* jcc rel8 */
	if (n >= 2 && b[0] == 0x0f && b[1] >= 0x80 && b[1] <= 0x8f)
		return true;			/* jcc rel32 */
	if (n >= 1 && b[0] >= 0x50 && b[0] <= 0x57)
		return true;			/* push rax..rdi */
	if (n >= 2 && b[0] == 0x41 && b[1] >= 0x50 && b[1] <= 0x57)
		return true;			/* push r8..r15 */
	return false;
}

/* The 64-bit register a (sub)register belongs to, for the ones that matter here. */
static int family(csh h, unsigned int reg)
{
	static const struct {
		int full;
		const char *names[4];
	} fam[] = {
		{ 0, { "rdi", "edi", "di", "dil" } },
		{ 1, { "rsi", "esi", "si", "sil" } },
		{ 2, { "rdx", "edx", "dx", "dl" } },
		{ 3, { "rcx", "ecx", "cx", "cl" } },
		{ 4, { "r8", "r8d", "r8w", "r8b" } },
		{ 5, { "r9", "r9d", "r9w", "r9b" } },
		{ 6, { "rsp", "esp", "sp", "spl" } },
	};
	const char *name = cs_reg_name(h, reg);
	size_t i, j;

	if (!name)
		return -1;
	for (i = 0; i < sizeof(fam) / sizeof(fam[0]); i++)
		for (j = 0; j < 4; j++)
			if (!__builtin_strcmp(name, fam[i].names[j]))
				return fam[i].full;
	return -1;
}

/* A prefix instruction that leaves the arguments, the stack and control flow alone. */
static bool harmless(csh h, const cs_insn *in, unsigned int nargs)
{
	cs_regs rd, wr;
	__u8 nrd, nwr, i;
	const cs_x86 *x = &in->detail->x86;

	for (i = 0; i < in->detail->groups_count; i++) {
		__u8 g = in->detail->groups[i];

		if (g == CS_GRP_JUMP || g == CS_GRP_CALL || g == CS_GRP_RET || g == CS_GRP_INT ||
		    g == CS_GRP_IRET || g == CS_GRP_PRIVILEGE || g == CS_GRP_BRANCH_RELATIVE)
			return false;
	}
	for (i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_MEM && (x->operands[i].access & CS_AC_WRITE))
			return false;
	if (cs_regs_access(h, in, rd, &nrd, wr, &nwr))
		return false;
	for (i = 0; i < nwr; i++) {
		int f = family(h, wr[i]);

		if (f == 6 || (f >= 0 && (unsigned int)f < nargs))
			return false;
	}
	return true;
}

static bool in_group(const cs_insn *in, __u8 grp)
{
	for (__u8 g = 0; g < in->detail->groups_count; g++)
		if (in->detail->groups[g] == grp)
			return true;
	return false;
}

/* True when a relative branch in the function lands in (0, off]. */
static bool branched_into(csh h, const __u8 *code, size_t len, __u64 off)
{
	const __u8 *p = code;
	uint64_t addr = 0;
	size_t left = len;
	cs_insn *in = cs_malloc(h);
	bool hit = false;

	if (!in)
		return true;
	while (left && !hit) {
		if (!cs_disasm_iter(h, &p, &left, &addr, in)) {
			hit = true;		/* cannot read it all: cannot prove anything */
			break;
		}
		for (__u8 i = 0; i < in->detail->x86.op_count; i++) {
			const cs_x86_op *op = &in->detail->x86.operands[i];

			if (in_group(in, CS_GRP_BRANCH_RELATIVE) && op->type == X86_OP_IMM &&
			    op->imm > 0 && (__u64)op->imm <= off)
				hit = true;
		}
	}
	cs_free(in, 1);
	return hit;
}

static __u64 first_emulated(csh h, const __u8 *code, size_t len, unsigned int nargs)
{
	const __u8 *p = code;
	uint64_t addr = 0, at;
	size_t left = len;
	cs_insn *in = cs_malloc(h);
	__u64 found = 0;
	int n;

	if (!in)
		return 0;
	for (n = 0; n < PREFIX_MAX && left; n++) {
		at = addr;
		if (emulated(code + at, len - at)) {
			found = at;
			break;
		}
		if (!cs_disasm_iter(h, &p, &left, &addr, in) || !harmless(h, in, nargs))
			break;
	}
	cs_free(in, 1);
	return found;
}

__u64 place_probe(const __u8 *code, size_t len, unsigned int nargs)
{
	__u64 off;
	csh h;

	if (!code || !len || cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return 0;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	off = first_emulated(h, code, len, nargs);
	if (off && branched_into(h, code, len, off))
		off = 0;
	cs_close(&h);
	return off;
}

/* --- wrappers --- */

/*
 * Stack bytes an instruction of the prefix adds: push reg, sub $imm,%rsp.
 * -1 for any other write to %rsp, 0 for an instruction that leaves it alone.
 */
static int pushed(csh h, const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;
	cs_regs rd, wr;
	__u8 nrd, nwr;

	if (in->id == X86_INS_PUSH && x->op_count == 1 && x->operands[0].type == X86_OP_REG)
		return 8;
	if (in->id == X86_INS_SUB && x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
	    x->operands[0].reg == X86_REG_RSP && x->operands[1].type == X86_OP_IMM &&
	    x->operands[1].imm >= 0 && x->operands[1].imm < 4096)
		return (int)x->operands[1].imm;
	if (cs_regs_access(h, in, rd, &nrd, wr, &nwr))
		return -1;
	for (__u8 i = 0; i < nwr; i++)
		if (family(h, wr[i]) == 6)
			return -1;
	return 0;
}

int place_wrapper(const __u8 *code, size_t len, __u64 vaddr,
		  enum wrap_role (*role)(void *ctx, __u64 target), void *ctx, struct wrap_info *out)
{
	const __u8 *p = code;
	uint64_t addr = vaddr;
	size_t left = len;
	bool prefix = true, inner = false, ok = true;
	int depth = 0, d;
	cs_insn *in;
	csh h;

	out->ret_off = 0;
	out->depth = -1;
	if (!code || !len || cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return -1;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	in = cs_malloc(h);
	while (in && ok && left) {
		bool call, jump;
		__u64 target;

		if (!cs_disasm_iter(h, &p, &left, &addr, in)) {
			ok = false;		/* unreadable: nothing is proven */
			break;
		}
		call = in_group(in, CS_GRP_CALL);
		jump = in_group(in, CS_GRP_JUMP);
		if (in_group(in, CS_GRP_INT) || in_group(in, CS_GRP_IRET) ||
		    in_group(in, CS_GRP_PRIVILEGE) || in->id == X86_INS_SYSCALL) {
			ok = false;
			break;
		}
		if (!call && !jump) {
			if (prefix && !in_group(in, CS_GRP_RET)) {
				d = pushed(h, in);
				if (d < 0)
					prefix = false;
				else
					depth += d;
			} else {
				prefix = false;
			}
			continue;
		}
		/* every branch must be direct: an indirect one could go anywhere */
		if (in->detail->x86.op_count != 1 || in->detail->x86.operands[0].type != X86_OP_IMM) {
			ok = false;
			break;
		}
		target = (__u64)in->detail->x86.operands[0].imm;
		if (jump && target >= vaddr && target - vaddr < len) {
			prefix = false;		/* a branch inside the function */
			continue;
		}
		switch (role(ctx, target)) {
		case WRAP_INNER:
			if (prefix && !inner) {
				/* the first thing every call does: the frame is known */
				out->depth = call ? depth : 0;
				out->ret_off = call ? addr - vaddr : 0;
				if (jump && depth)
					out->depth = -1;
			}
			inner = true;
			break;
		case WRAP_HARMLESS:
			break;
		default:
			ok = false;
		}
		prefix = false;
	}
	if (in)
		cs_free(in, 1);
	cs_close(&h);
	return ok && inner ? 0 : -1;
}

/* --- thin entry points --- */

bool place_entry_emulated(const __u8 *code, size_t len)
{
	return code && len && emulated(code, len);
}

__u64 place_callee(const __u8 *code, size_t len, __u64 vaddr)
{
	const __u8 *p = code;
	uint64_t addr = vaddr;
	size_t left = len;
	__u64 found = 0;
	cs_regs rd, wr;
	__u8 nrd, nwr;
	cs_insn *in;
	csh h;
	int n;

	if (!code || !len || cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return 0;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	in = cs_malloc(h);
	for (n = 0; in && n < PREFIX_MAX && left; n++) {
		const cs_x86 *x;
		bool bad = false;

		if (!cs_disasm_iter(h, &p, &left, &addr, in))
			break;
		x = &in->detail->x86;
		if (in_group(in, CS_GRP_CALL)) {
			if (x->op_count == 1 && x->operands[0].type == X86_OP_IMM)
				found = (__u64)x->operands[0].imm;
			break;
		}
		/* a conditional branch may leave the path; the fall-through goes on */
		if (in_group(in, CS_GRP_JUMP) && in->id != X86_INS_JMP &&
		    x->op_count == 1 && x->operands[0].type == X86_OP_IMM)
			continue;
		if (in_group(in, CS_GRP_JUMP) || in_group(in, CS_GRP_RET) ||
		    in_group(in, CS_GRP_INT) || cs_regs_access(h, in, rd, &nrd, wr, &nwr))
			break;
		for (__u8 i = 0; i < nwr; i++)
			bad |= family(h, wr[i]) == 0;	/* rdi: the SSL * */
		if (bad)
			break;
	}
	if (in)
		cs_free(in, 1);
	cs_close(&h);
	return found;
}
