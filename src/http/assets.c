/*
 * assets.c - lookup in the tables of embedded files (assets.h).
 */
#include <string.h>

#include "http/assets.h"
#include "util/banned.h"

const struct gh_asset *
gh_asset_find(const struct gh_asset *table, size_t n, const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}
