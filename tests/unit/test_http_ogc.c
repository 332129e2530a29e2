/* test_http_ogc.c - what the OGC handlers share (http/ogc.h): the
 * conformance classes (OGC API - Features Parts 1 to 3, exactly the CQL2
 * classes the engine implements, sorting, Tiles), and the choice between
 * JSON and a page by f= when the request has no headers. */
#include <string.h>

#include "check.h"
#include "cql2/cql2.h"
#include "http/ogc.h"

static bool listed(const char *const *v, size_t n, const char *cls)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], cls))
			return true;
	return false;
}

static void test_conformance(void)
{
	const char *classes[OGC_MAX_CLASSES];
	size_t n = ogc_conformance(classes, false);
	CHECK(n > 0 && n < OGC_MAX_CLASSES);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			CHECK_MSG(strcmp(classes[i], classes[j]) != 0, "%s twice", classes[i]);
	/* every CQL2 class the engine implements, and no other */
	size_t ncql2 = 0;
	for (size_t i = 0; cql2_conformance_classes[i]; i++, ncql2++)
		CHECK_MSG(listed(classes, n, cql2_conformance_classes[i]), "%s missing",
		          cql2_conformance_classes[i]);
	size_t declared = 0;
	for (size_t i = 0; i < n; i++)
		declared += strstr(classes[i], "/spec/cql2/") != NULL;
	CHECK_INT(declared, ncql2);
	static const char *const must[] = {
	    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
	    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
	    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
	    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
	    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/png",
	};
	for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
		CHECK_MSG(listed(classes, n, must[i]), "%s missing", must[i]);
}

int main(void)
{
	test_conformance();
	return CHECK_DONE();
}
