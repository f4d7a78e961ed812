## A tiny JSON writer used only by the tests of rscripts/runtime.R (the server reads the
## runtime's result over Rserve, not as JSON). Atomic vectors always become arrays, named lists
## objects, unnamed lists arrays, NULL null, NA null.
.test.toJSON <- function(x) {
    str1 <- function(s) {
        s <- enc2utf8(s)
        s <- gsub("\\", "\\\\", s, fixed = TRUE)
        s <- gsub("\"", "\\\"", s, fixed = TRUE)
        s <- gsub("\n", "\\n", s, fixed = TRUE)
        s <- gsub("\r", "\\r", s, fixed = TRUE)
        s <- gsub("\t", "\\t", s, fixed = TRUE)
        s <- gsub("[\001-\037]", "?", s)
        paste0("\"", s, "\"")
    }
    if (is.null(x)) return("null")
    if (is.list(x)) {
        items <- vapply(x, .test.toJSON, "")
        n <- names(x)
        if (is.null(n)) return(paste0("[", paste(items, collapse = ","), "]"))
        return(paste0("{", paste(paste0(str1(n), ":", items), collapse = ","), "}"))
    }
    vals <- if (is.character(x)) ifelse(is.na(x), "null", str1(x))
            else if (is.logical(x)) ifelse(is.na(x), "null", ifelse(x, "true", "false"))
            else ifelse(is.na(x), "null", format(x, digits = 15, scientific = FALSE, trim = TRUE))
    paste0("[", paste(vals, collapse = ","), "]")
}
