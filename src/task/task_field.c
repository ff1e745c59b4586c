/*
 * task_field.c: the task fields a Notion property can be mapped onto, with
 * their names in the config file and the Notion property types each one
 * takes; see task.h. The config validator, the mapper and `config check`
 * read this one table.
 */
#include "task/task.h"

#include <string.h>

/*
 * Task fields and the Notion types each one takes. Text fields take every
 * mappable type (rendered as text); status, dueDate and tags only what has
 * a sensible meaning for them (see docs/config.md).
 */
static const char *const types_text[] = {
	"title",  "rich_text", "number",   "select", "multi_select",
	"status", "date",      "checkbox", NULL,
};
static const char *const types_status[] = {"status", "select",	  "checkbox",
					   "title",  "rich_text", NULL};
/* people only for assignee: names joined with ", " (ids kept in metadata) */
static const char *const types_assignee[] = {
	"title",  "rich_text", "number",   "select", "multi_select",
	"status", "date",      "checkbox", "people", NULL,
};
static const char *const types_due[] = {"date", "title", "rich_text", NULL};
static const char *const types_tags[] = {
	"multi_select", "select", "status", "title", "rich_text", "checkbox", NULL,
};

static const struct {
	const char *name;
	const char *const *accepts;
} field_table[FIELD_COUNT] = {
	[FIELD_TITLE] = {"title", types_text},
	[FIELD_DESCRIPTION] = {"description", types_text},
	[FIELD_STATUS] = {"status", types_status},
	[FIELD_RESOLUTION] = {"resolution", types_text},
	[FIELD_CATEGORY] = {"category", types_text},
	[FIELD_DUE_DATE] = {"dueDate", types_due},
	[FIELD_ASSIGNEE] = {"assignee", types_assignee},
	[FIELD_TAGS] = {"tags", types_tags},
};

const char *task_field_name(enum task_field f)
{
	if ((unsigned)f >= FIELD_COUNT)
		return "?";
	return field_table[f].name;
}

int task_field_parse(const char *name)
{
	if (!name)
		return -1;
	for (int f = 0; f < FIELD_COUNT; f++)
		if (!strcmp(field_table[f].name, name))
			return f;
	return -1;
}

int task_field_accepts(enum task_field f, const char *notion_type)
{
	if ((unsigned)f >= FIELD_COUNT || !notion_type)
		return 0;
	for (const char *const *t = field_table[f].accepts; *t; t++)
		if (!strcmp(*t, notion_type))
			return 1;
	return 0;
}

const char *task_field_accepted_types(enum task_field f)
{
	static const char *const texts[FIELD_COUNT] = {
		[FIELD_TITLE] =
			"title, rich_text, number, select, multi_select, status, date, checkbox",
		[FIELD_DESCRIPTION] =
			"title, rich_text, number, select, multi_select, status, date, checkbox",
		[FIELD_STATUS] = "status, select, checkbox, title, rich_text",
		[FIELD_RESOLUTION] =
			"title, rich_text, number, select, multi_select, status, date, checkbox",
		[FIELD_CATEGORY] =
			"title, rich_text, number, select, multi_select, status, date, checkbox",
		[FIELD_DUE_DATE] = "date, title, rich_text",
		/* parenthesised: one literal in two pieces, not two table entries (clang) */
		[FIELD_ASSIGNEE] = ("title, rich_text, number, select, multi_select, status, date, "
				    "checkbox, people"),
		[FIELD_TAGS] = "multi_select, select, status, title, rich_text, checkbox",
	};
	if ((unsigned)f >= FIELD_COUNT)
		return "";
	return texts[f];
}
