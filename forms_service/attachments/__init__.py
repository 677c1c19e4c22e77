"""Files attached to a form (the Graded Care Profile 2, a genogram…): checked by content,
scanned, sealed at rest, delivered only to the SPOC inbox."""
