/* fuzz_ingest_geojson.c - any bytes given to ingest_geojson either load or
 * fail with MS_EDATA and "f.geojson:LINE: ...", LINE within the input
 * (JSON syntax, or the structure: "feature N: ..."), set unchanged. */
#include "ingest_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_ingest("fuzz_ingest_geojson", ingest_geojson, "f.geojson", 1, data, size);
	return 0;
}
