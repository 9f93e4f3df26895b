/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TLSMEM_JNI_H
#define TLSMEM_JNI_H

/*
 * JNI native tables: the JNINativeMethod arrays ({ name, signature,
 * function }) a library hands to RegisterNatives name functions that a
 * stripped library exports under no symbol. In a shared object the three
 * pointers are R_X86_64_RELATIVE relocations; a triple counts when the name
 * is a Java identifier and the signature a method descriptor, both in
 * read-only data, and the function lies in code. Bounded reads through
 * elfobj; x86-64 ELF only. Plain libc.
 */
#include <linux/types.h>
#include <stddef.h>

struct elf_obj;
struct functab;

#define JNI_MAX_RELOCS	(2u << 20)	/* libcrypto has 17k RELATIVE */

/* 1 when s[0..n) is a Java method name, else 0. */
int jni_is_name(const char *s, size_t n);

/* 1 when s[0..n) is a JNI method descriptor such as "(JZ)J", else 0. */
int jni_is_signature(const char *s, size_t n);

/*
 * The functions that o's JNINativeMethod tables name, into t (finished;
 * start only, no size): their count, or a negative errno.
 */
int jni_load(const struct elf_obj *o, struct functab *t);

#endif /* TLSMEM_JNI_H */
