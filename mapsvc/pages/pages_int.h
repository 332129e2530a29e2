/*
 * pages_int.h - what the page writers (pages.c, site.c) share: the
 * frame of every page and the few pieces of it more than one page shows.
 * Internal to pages/.
 *
 * Owns nothing: text is appended to the caller's buffer.  Thread-safe.
 */
#ifndef MS_PAGES_INT_H
#define MS_PAGES_INT_H

#include "pages.h"

/* The text of the page's language. */
const char *pages_text(const struct pages_ctx *pc, const char *zh, const char *en);
#define T(pc, zh, en) pages_text((pc), (zh), (en))

/* A page is pages_head (then the page's own head elements), pages_body,
 * the content, pages_end. */
void pages_head(struct buf *out, const struct pages_ctx *pc, const char *title);
void pages_body(struct buf *out, const struct pages_ctx *pc);
void pages_end(struct buf *out, const struct pages_ctx *pc);

/* A list of links, each with its media type beside it. */
void pages_links(struct buf *out, const struct pages_ctx *pc, const struct pages_link *links, size_t n);
/* The site's names as two `tag` elements (the page's language first), each
 * with its lang attribute; the second only when the site has it. */
void pages_site_names(struct buf *out, const struct pages_ctx *pc, const struct site *s, const char *tag);
/* The position quality, the radius, and "approximate" when it is. */
void pages_quality(struct buf *out, const struct pages_ctx *pc, const struct site *s);

#endif
