/*
 * check.h - the unit tests' few assertions.
 *
 * A failed CHECK prints file:line and the expression and counts a failure;
 * the test goes on so one run shows every broken case.  CHECK_DONE()
 * prints "N passed, N failed" and returns the exit status for main.
 */
#ifndef MS_CHECK_H
#define MS_CHECK_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond)                                                                                          \
	do {                                                                                                 \
		if (cond) {                                                                                  \
			check_passed++;                                                                      \
		} else {                                                                                     \
			check_failed++;                                                                      \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);             \
		}                                                                                            \
	} while (0)

#define CHECK_MSG(cond, ...)                                                                                 \
	do {                                                                                                 \
		if (cond) {                                                                                  \
			check_passed++;                                                                      \
		} else {                                                                                     \
			check_failed++;                                                                      \
			fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);             \
			fprintf(stderr, __VA_ARGS__);                                                        \
			fputc('\n', stderr);                                                                 \
		}                                                                                            \
	} while (0)

#define CHECK_STR(a, b) CHECK_MSG(strcmp((a), (b)) == 0, "\"%s\" != \"%s\"", (a), (b))
#define CHECK_NEAR(a, b, tol)                                                                                \
	CHECK_MSG(fabs((double)(a) - (double)(b)) <= (tol), "%.9g vs %.9g (tol %g)", (double)(a),            \
	          (double)(b), (double)(tol))
#define CHECK_INT(a, b)                                                                                      \
	CHECK_MSG((long long)(a) == (long long)(b), "%lld != %lld", (long long)(a), (long long)(b))

#define CHECK_DONE() (printf("%d passed, %d failed\n", check_passed, check_failed), check_failed ? 1 : 0)

#endif
