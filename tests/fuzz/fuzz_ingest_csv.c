/* fuzz_ingest_csv.c - any bytes given to ingest_csv either load or fail
 * with MS_EDATA and "f.csv:LINE: reason", leaving the set unchanged. */
#include "ingest_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_ingest("fuzz_ingest_csv", ingest_csv, "f.csv", 1, data, size);
	return 0;
}
