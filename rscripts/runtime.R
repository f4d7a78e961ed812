## DeployR-compatible R runtime, loaded into every R session of the server.
##
## Load it once per R process (or in the Rserve master, so every forked session inherits it):
##
##     source("/path/to/rscripts/runtime.R")
##
## Sourcing is idempotent: it (re)creates an environment attached on the search path as
## "deployr:runtime" (position 2, right after the global environment) and puts the public entry
## points there. Nothing is written into the global environment, so ls() on the workspace shows
## only user objects. Entry points:
##
##   .deployr.execute(code, echo, console, artifacts, graphics, width, height, resultsDir,
##                    workDir, consoleEvents, maxConsole, readPlots)
##       Runs a block of R code like an R console and returns a plain list (see below).
##   revoEvent(x)
##       Sends x out of band to the server (Rserve self.oobSend) as list("revoEvent", x), which
##       the server turns into an executionRevoEvent. Returns TRUE when sent, FALSE outside
##       Rserve (e.g. plain Rscript) or when OOB messages are not enabled.
##   q(), quit()
##       Masked: they end the current execution (like reaching the end of the code) instead of
##       killing the R session. base::quit() is not masked.
##
## Arguments of .deployr.execute():
##   code          character: the R code (a vector is joined with "\n"; \r\n and \r are line ends)
##   echo          TRUE: echo each top-level expression in the console (FALSE = DeployR echooff)
##   console       TRUE: return the console (FALSE = DeployR consoleoff: console is "")
##   artifacts     TRUE: list working-directory files created/changed (FALSE = artifactsoff)
##   graphics      "png" (default) or "svg": the device for unnamed plots
##   width, height plot size in pixels (default 480 x 480; svg uses width/72 x height/72 in)
##   resultsDir    directory for the unnamed plots, created only when the code plots; default
##                 a fresh directory under tempdir(). Keep it outside workDir.
##   workDir       the working directory (default getwd()); restored afterwards
##   consoleEvents TRUE: also send each expression's console output out of band as
##                 list("console", text) (for enableConsoleEvents)
##   maxConsole    > 0: keep only about the last maxConsole bytes of the console (cut at a line
##                 start, prefixed "[console output truncated]\n"); 0 (default) keeps all
##   readPlots     TRUE: return the plot files' bytes in `plotData` and remove the results
##                 directory (whatever it holds) before returning, so the caller needs no
##                 further round trip; FALSE (default) leaves the plots in plotDir
##
## The list returned by .deployr.execute():
##   console      character(1)  the console as an R console shows it: every top-level expression
##                              echoed with "> " / "+ " (unless echo = FALSE), preceded by a
##                              blank line like source(echo = TRUE), its printed output
##                              (autoprint of visible values), messages, warnings (R's
##                              "Warning message:" block after the expression), and the error
##                              as R prints it. "" when console = FALSE.
##   error        NULL or character(1): the error as R prints it, without "\n" at the end
##                              ("Error in f() : boom", "Error: boom", or the parse error).
##                              Execution stops at the first error, like source().
##   errorMessage NULL or character(1): conditionMessage() of that error.
##   parseError   logical(1)    TRUE when the code did not parse (nothing was evaluated).
##   warnings     character     one element per warning, "In <call> : <message>" or
##                              "<message>" (no call). Empty when there were none.
##   plots        character     file names of the unnamed plots, in order:
##                              unnamedplot001.png, unnamedplot002.png, ... (or .svg)
##   plotDir      character(1)  absolute directory holding those plot files (the results
##                              directory; never the working directory). It exists only
##                              when something was plotted (and not with readPlots = TRUE).
##   plotData     list of raw   only with readPlots = TRUE: the bytes of each plot, in the
##                              order of `plots`.
##   artifacts    list(name = character, size = numeric, mtime = numeric)
##                              files of the working directory (top level, no dot-files)
##                              created or changed during the run; mtime in ms since epoch.
##   interrupted  logical(1)    TRUE when an interrupt (SIGINT) stopped the execution.
##   quit         logical(1)    TRUE when the code called q()/quit() (execution ended there).
##   timeStart    numeric(1)    ms since epoch when evaluation started.
##   timeCode     numeric(1)    ms spent evaluating the code.
##
## The device for unnamed plots is opened lazily: options(device) is a function that opens
## it (and creates the results directory) on the first plot, through dev.new(), base or grid
## graphics alike. Code that plots nothing pays for no device and no directory.
##
## Only base, grDevices, utils and methods are used.

local({
    runtimeName <- "deployr:runtime"
    while (runtimeName %in% search()) detach(runtimeName, character.only = TRUE)
    runtime <- attach(NULL, pos = 2L, name = runtimeName, warn.conflicts = FALSE)

    ## Width (in characters) past which R puts an error or warning message on its own line.
    LONGWARN <- 75L
    ## The call our evaluator makes; errors and warnings raised by top-level code carry it.
    TOP_CALL <- quote(eval(expr, envir))

    ## ------------------------------------------------------------------------------------
    ## Condition formatting, as R's own top-level handlers print them.

    deparseCall <- function(call) {
        if (is.null(call) || identical(call, TOP_CALL)) return(NULL)
        d <- deparse(call, nlines = 1L)
        if (!length(d)) NULL else d
    }

    width <- function(s) {
        w <- nchar(s, type = "w", allowNA = TRUE)
        if (is.na(w)) nchar(s, type = "b") else w
    }

    firstLine <- function(msg) {
        l <- strsplit(msg, "\n", fixed = TRUE)[[1L]]
        if (length(l)) l[1L] else ""
    }

    formatError <- function(msg, call) {
        dcall <- deparseCall(call)
        if (is.null(dcall)) return(paste0("Error: ", msg))
        prefix <- paste0("Error in ", dcall, " : ")
        if (14L + width(dcall) + width(firstLine(msg)) > LONGWARN)
            prefix <- paste0(prefix, "\n  ")
        paste0(prefix, msg)
    }

    ## One warning as it appears in the `warnings` result.
    formatWarningShort <- function(w) {
        if (is.null(w$call)) w$msg else paste0("In ", w$call, " : ", w$msg)
    }

    ## The block R prints after a top-level call that raised warnings (options(warn = 0)).
    formatWarningBlock <- function(ws) {
        n <- length(ws)
        if (n == 0L) return("")
        if (n == 1L) {
            w <- ws[[1L]]
            body <- if (is.null(w$call)) w$msg else {
                sep <- if (6L + width(w$call) + width(firstLine(w$msg)) > LONGWARN) "\n  " else " "
                paste0("In ", w$call, " :", sep, w$msg)
            }
            return(paste0("Warning message:\n", body, "\n"))
        }
        if (n > 10L) {
            return(if (n >= 50L)
                "There were 50 or more warnings (use warnings() to see the first 50)\n"
            else sprintf("There were %d warnings (use warnings() to see them)\n", n))
        }
        lines <- vapply(seq_len(n), function(i) {
            w <- ws[[i]]
            if (is.null(w$call)) sprintf("%d: %s", i, w$msg) else {
                sep <- if (10L + width(w$call) + width(firstLine(w$msg)) > LONGWARN) "\n  " else " "
                sprintf("%d: In %s :%s%s", i, w$call, sep, w$msg)
            }
        }, "")
        paste0("Warning messages:\n", paste(lines, collapse = "\n"), "\n")
    }

    ## ------------------------------------------------------------------------------------
    ## Echo, following source(echo = TRUE, spaced = TRUE): the source lines of each top-level
    ## expression (with the comments before it), "> " on the lines up to its first line, "+ "
    ## after, a blank line before.

    makeEchoer <- function(exprs, lines) {
        srcrefs <- attr(exprs, "srcref")
        lastshown <- 0L
        blank <- grepl("^[[:blank:]]*$", lines)   # once for all lines
        render <- function(from, to, leading) {
            if (to < from) return(NULL)
            while (from <= to && blank[from]) {
                from <- from + 1L
                leading <- leading - 1L
            }
            if (from > to) return(NULL)
            dep <- lines[from:to]
            prompts <- rep.int(c("> ", "+ "), c(max(0L, leading), max(0L, length(dep) - leading)))
            paste0("\n", paste0(prompts, dep, collapse = "\n"), "\n")
        }
        list(
            expr = function(i) {
                sr <- if (i <= length(srcrefs)) srcrefs[[i]] else NULL
                if (is.null(sr)) {
                    dep <- deparse(exprs[[i]])
                    return(paste0("\n> ", paste(dep, collapse = "\n+ "), "\n"))
                }
                first <- sr[1L]
                last <- sr[3L]
                if (lastshown >= last) return(NULL)
                out <- render(lastshown + 1L, last, first - lastshown)
                lastshown <<- last
                out
            },
            tail = function() {
                ## Comments after the last expression; trailing blank lines are dropped.
                n <- length(lines)
                while (n > lastshown && blank[n]) n <- n - 1L
                if (n <= lastshown) return(NULL)
                out <- render(lastshown + 1L, n, n - lastshown)
                lastshown <<- n
                out
            }
        )
    }

    ## ------------------------------------------------------------------------------------
    ## Working directory listing for artifacts.

    ## Sys.glob() rather than list.files(): list.files() sorts every name with R's collation
    ## (ICU), which costs more than reading the directory; only the changed files are sorted,
    ## into the order list.files() would give them.
    globEscape <- function(p) gsub("([][*?{}~\\\\])", "\\\\\\1", p)

    ## The files (no dot-files, no directories) matching a Sys.glob() pattern, in no order.
    listDir <- function(pattern) {
        paths <- Sys.glob(pattern)
        if (!length(paths)) return(list(name = character(), size = numeric(), mtime = numeric()))
        info <- file.info(paths, extra_cols = FALSE)
        keep <- !is.na(info$isdir) & !info$isdir
        list(name = basename(paths[keep]),
             size = as.numeric(info$size[keep]),
             mtime = as.numeric(info$mtime[keep]) * 1000)
    }

    changedFiles <- function(before, after) {
        if (!length(after$name)) return(after)
        idx <- match(after$name, before$name)
        changed <- is.na(idx) |
            after$size != before$size[idx] |
            after$mtime != before$mtime[idx]
        changed[is.na(changed)] <- TRUE
        changed <- which(changed)
        changed <- changed[order(after$name[changed], method = "shell")]
        list(name = after$name[changed], size = after$size[changed], mtime = after$mtime[changed])
    }

    ## ------------------------------------------------------------------------------------
    ## The graphics device for unnamed plots, opened (as options(device)) only when the code
    ## plots. Each device we open writes into its own subdirectory of the results directory
    ## (so a device reopened after the code's own dev.off() does not overwrite earlier pages);
    ## at the end the pages are renamed unnamedplotNNN.ext in order, or read back.

    makeGraphics <- function(kind, width, height, dir) {
        opened <- 0L
        created <- FALSE
        ext <- if (kind == "svg") "svg" else "png"
        subdir <- function(k) file.path(dir, sprintf(".device%03d", k))
        open <- function(...) {
            opened <<- opened + 1L
            if (opened == 1L) created <<- !dir.exists(dir)
            sub <- subdir(opened)
            ## pages left over by an execution that could not clean up must not count
            unlink(sub, recursive = TRUE)
            dir.create(sub, showWarnings = FALSE, recursive = TRUE)
            pattern <- file.path(sub, paste0("page%03d.", ext))
            if (kind == "svg") {
                grDevices::svg(filename = pattern, width = width / 72, height = height / 72,
                               onefile = FALSE)
            } else {
                type <- if (isTRUE(capabilities("cairo"))) "cairo" else getOption("bitmapType")
                grDevices::png(filename = pattern, width = width, height = height, type = type)
            }
            invisible(NULL)
        }
        blankSvg <- function(f) {
            txt <- paste(readLines(f, warn = FALSE), collapse = "\n")
            inner <- gsub("<\\?xml[^>]*>|</?svg[^>]*>|</?g[^>]*>", "", txt)
            !grepl("<", inner, fixed = TRUE)
        }
        ## The plot names (and with read = TRUE their bytes) of every device we opened.
        collect <- function(read = FALSE) {
            pages <- character()
            sizes <- numeric()
            for (k in seq_len(opened)) {
                f <- sort(list.files(subdir(k), pattern = paste0("^page[0-9]+\\.", ext, "$"),
                                     full.names = TRUE))
                size <- file.info(f, extra_cols = FALSE)$size
                keep <- !is.na(size) & size > 0
                f <- f[keep]
                size <- size[keep]
                if (ext == "svg" && length(f)) {
                    keep <- !vapply(f, blankSvg, NA)
                    f <- f[keep]
                    size <- size[keep]
                }
                pages <- c(pages, f)
                sizes <- c(sizes, size)
            }
            names <- if (length(pages)) sprintf("unnamedplot%03d.%s", seq_along(pages), ext)
                     else character()
            data <- NULL
            if (read) {
                data <- lapply(seq_along(pages), function(i) readBin(pages[i], "raw", n = sizes[i]))
            } else {
                for (i in seq_along(pages)) file.rename(pages[i], file.path(dir, names[i]))
            }
            for (k in seq_len(opened)) unlink(subdir(k), recursive = TRUE)
            if (created && !length(pages)) unlink(dir, recursive = TRUE)
            list(names = names, data = data)
        }
        list(open = open, collect = collect, used = function() opened > 0L)
    }

    closeAllDevices <- function() {
        while (grDevices::dev.cur() > 1L) {
            tryCatch(grDevices::dev.off(), error = function(e) NULL)
        }
    }

    ## ------------------------------------------------------------------------------------
    ## Out-of-band messages (Rserve only).

    ## What Rserve's self.oobSend(what) does, without needing the Rserve package attached.
    ## FALSE outside Rserve, or when the server runs without "oob enable".
    oobSend <- function(what) {
        if (!is.loaded("Rserve_oobSend")) return(FALSE)
        isTRUE(tryCatch({
            .Call(getNativeSymbolInfo("Rserve_oobSend"), what, 0L)
            TRUE
        }, error = function(e) FALSE))
    }

    revoEvent <- function(x) invisible(oobSend(list("revoEvent", x)))

    quitMask <- function(save = "default", status = 0, runLast = TRUE) {
        cond <- structure(class = c("deployrQuit", "condition"),
                          list(message = "quit() ends the execution", call = NULL))
        signalCondition(cond)
        ## Outside .deployr.execute(): refuse rather than kill the session.
        warning("quit() is disabled in this R session; use base::quit() to really quit",
                call. = FALSE)
        invisible(NULL)
    }

    ## ------------------------------------------------------------------------------------
    ## The entry point.

    ## The first element as a number, NA when it is none (without a warning).
    toNumber <- function(x) {
        if (is.numeric(x)) as.numeric(x)[1L] else suppressWarnings(as.numeric(x)[1L])
    }

    execute <- function(code, echo = TRUE, console = TRUE, artifacts = TRUE,
                        graphics = "png", width = 480, height = 480,
                        resultsDir = NULL, workDir = NULL, consoleEvents = FALSE,
                        maxConsole = 0, readPlots = FALSE) {
        timeStart <- as.numeric(Sys.time()) * 1000
        code <- paste(as.character(code), collapse = "\n")
        echo <- isTRUE(as.logical(echo))
        keepConsole <- isTRUE(as.logical(console))
        keepArtifacts <- isTRUE(as.logical(artifacts))
        consoleEvents <- isTRUE(as.logical(consoleEvents))
        readPlots <- isTRUE(as.logical(readPlots))
        graphics <- if (identical(tolower(as.character(graphics)[1L]), "svg")) "svg" else "png"
        width <- toNumber(width)
        height <- toNumber(height)
        if (is.na(width) || width <= 0) width <- 480
        if (is.na(height) || height <= 0) height <- 480

        oldWd <- getwd()
        if (is.null(workDir)) workDir <- oldWd
        workDir <- normalizePath(workDir, mustWork = TRUE)
        if (is.null(resultsDir)) {
            resultsDir <- file.path(tempdir(), sprintf("deployr-results-%d-%s", Sys.getpid(),
                paste(sample(c(letters, 0:9), 12L, replace = TRUE), collapse = "")))
        }
        ## Made absolute now (the code may change the working directory), created only by the
        ## first plot.
        resultsDir <- path.expand(as.character(resultsDir)[1L])
        if (!startsWith(resultsDir, "/") && !grepl("^([A-Za-z]:)?[/\\\\]", resultsDir))
            resultsDir <- file.path(oldWd, resultsDir)
        setwd(workDir)

        workFiles <- file.path(globEscape(workDir), "*")
        before <- if (keepArtifacts) listDir(workFiles) else NULL

        ## Console capture: a sink to a temporary file (outside the working directory), for
        ## both output and messages.
        outFile <- tempfile("deployr-console-")
        out <- file(outFile, open = "wt", encoding = "UTF-8")
        sinkBase <- sink.number()
        sink(out, type = "output")
        sinkOurs <- sinkBase + 1L
        sink(out, type = "message")
        emitted <- 0
        reader <- NULL
        oldDevice <- getOption("device")
        gfx <- makeGraphics(graphics, width, height, resultsDir)
        plots <- character()
        plotData <- list()

        ## Restores the session whatever happens (also on an interrupt outside the code).
        cleaned <- FALSE
        cleanup <- function() {
            if (cleaned) return(invisible())
            cleaned <<- TRUE
            suppressWarnings({
                closeAllDevices()
                options(device = oldDevice)
                if (gfx$used()) {
                    got <- tryCatch(gfx$collect(readPlots), error = function(e) NULL)
                    if (!is.null(got)) {
                        plots <<- got$names
                        if (readPlots) plotData <<- got$data
                    }
                }
                if (readPlots && file.exists(resultsDir)) unlink(resultsDir, recursive = TRUE)
                if (consoleEvents) tryCatch(chunkSent(), error = function(e) NULL)
                n <- sink.number()
                while (n > sinkBase) {
                    sink()
                    n <- n - 1L
                }
                ## Both steps in one tryCatch (the usual case); one at a time if that fails.
                if (!isTRUE(tryCatch({
                    sink(type = "message")
                    close(out)
                    TRUE
                }, error = function(e) FALSE))) {
                    tryCatch(sink(type = "message"), error = function(e) NULL)
                    tryCatch(close(out), error = function(e) NULL)
                }
                if (!is.null(reader)) tryCatch(close(reader), error = function(e) NULL)
                setwd(oldWd)
            })
            invisible()
        }
        on.exit({ cleanup(); unlink(outFile) }, add = TRUE)

        readNew <- function() {
            flush(out)
            size <- file.size(outFile)
            if (is.na(size) || size <= emitted) return("")
            if (is.null(reader)) reader <<- file(outFile, open = "rb")
            bytes <- readBin(reader, "raw", n = size - emitted)
            emitted <<- emitted + length(bytes)
            s <- rawToChar(bytes)
            Encoding(s) <- "UTF-8"
            s
        }
        codeRan <- FALSE
        ensureSink <- function() {
            ## Code that called sink() once too often removed ours: put it back. Sinks the code
            ## added itself stay until the end of the execution, like in R. Until the code
            ## runs, our sinks are as we set them.
            if (!codeRan) return()
            if (sink.number() < sinkOurs) {
                while (sink.number() > sinkBase) sink()
                sink(out, type = "output")
            }
            if (sink.number(type = "message") != as.integer(out)) {
                tryCatch(sink(out, type = "message"), error = function(e) NULL)
            }
        }
        say <- function(...) {
            ensureSink()
            cat(..., sep = "", file = out)
        }
        chunkSent <- function() {
            if (consoleEvents) {
                chunk <- readNew()
                if (nzchar(chunk)) oobSend(list("console", chunk))
            }
        }

        options(device = gfx$open)
        closeAllDevices()

        error <- NULL
        errorMessage <- NULL
        parseError <- FALSE
        interrupted <- FALSE
        quitCalled <- FALSE
        allWarnings <- list()
        envir <- globalenv()

        t0 <- proc.time()[["elapsed"]]

        lines <- strsplit(code, "\r\n|\r|\n")[[1L]]
        srcfile <- srcfilecopy("<text>", lines, isFile = FALSE)
        exprs <- tryCatch(parse(text = lines, keep.source = TRUE, srcfile = srcfile),
                          error = function(e) e)
        if (inherits(exprs, "error")) {
            parseError <- TRUE
            errorMessage <- conditionMessage(exprs)
            error <- paste0("Error: ", errorMessage)
            say(error, "\n")
            exprs <- expression()
        }
        echoer <- if (echo) makeEchoer(exprs, lines)

        ## One set of handlers for the whole run (not one per expression: establishing them
        ## costs more than evaluating most expressions). An error, an interrupt or q() unwinds
        ## out of the loop, which is where the execution stops anyway. `pending` holds the
        ## warnings of the current expression, printed after it like the R console does.
        pending <- list()
        outcome <- if (!length(exprs)) "ok" else tryCatch(withCallingHandlers({
            for (i in seq_along(exprs)) {
                if (echo) {
                    e <- echoer$expr(i)
                    if (!is.null(e)) say(e)
                }
                expr <- exprs[[i]]
                pending <- list()
                codeRan <- TRUE
                res <- withVisible(eval(expr, envir))
                if (res$visible) {
                    if (isS4(res$value)) methods::show(res$value) else print(res$value)
                }
                if (length(pending)) {
                    say(formatWarningBlock(pending))
                    pending <- list()
                }
                chunkSent()
            }
            "ok"
        }, warning = function(w) {
            level <- suppressWarnings(as.numeric(getOption("warn", 0))[1L])
            if (!length(level) || is.na(level)) level <- 0
            if (level >= 2) return()   # R turns it into an error
            if (level >= 0) {
                rec <- list(msg = conditionMessage(w), call = deparseCall(conditionCall(w)))
                allWarnings[[length(allWarnings) + 1L]] <<- rec
                if (level >= 1) {
                    say(if (is.null(rec$call)) paste0("Warning: ", rec$msg, "\n")
                        else paste0("Warning in ", rec$call, " : ", rec$msg, "\n"))
                } else {
                    pending[[length(pending) + 1L]] <<- rec
                }
            }
            invokeRestart("muffleWarning")
        }), error = function(e) {
            errorMessage <<- conditionMessage(e)
            error <<- formatError(conditionMessage(e), conditionCall(e))
            "error"
        }, interrupt = function(cond) {
            interrupted <<- TRUE
            "interrupt"
        }, deployrQuit = function(cond) {
            quitCalled <<- TRUE
            "quit"
        })
        if (!identical(outcome, "ok")) {
            ## the expression that stopped the run: its error, then its warnings
            if (identical(outcome, "error")) say(error, "\n")
            if (length(pending)) say(formatWarningBlock(pending))
            chunkSent()
        }
        if (echo && !parseError && is.null(error) && !interrupted && !quitCalled) {
            e <- echoer$tail()
            if (!is.null(e)) say(e)
        }

        timeCode <- (proc.time()[["elapsed"]] - t0) * 1000

        ## Close every device (so files the code opened itself get written), restore the
        ## device option, the sinks and the working directory.
        cleanup()

        consoleText <- ""
        if (keepConsole) {
            size <- file.size(outFile)
            if (!is.na(size) && size > 0) {
                maxConsole <- toNumber(maxConsole)
                if (!is.na(maxConsole) && maxConsole > 0 && size > maxConsole) {
                    con <- file(outFile, open = "rb")
                    seek(con, size - maxConsole)
                    bytes <- readBin(con, "raw", n = maxConsole)
                    close(con)
                    ## start at a line boundary (also never inside a UTF-8 sequence)
                    nl <- which(bytes == as.raw(10L))
                    if (length(nl) && nl[1L] < length(bytes)) bytes <- bytes[-seq_len(nl[1L])]
                    consoleText <- paste0("[console output truncated]\n", rawToChar(bytes))
                } else {
                    consoleText <- readChar(outFile, size, useBytes = TRUE)
                }
                Encoding(consoleText) <- "UTF-8"
            }
        }

        arts <- if (keepArtifacts) suppressWarnings(changedFiles(before, listDir(workFiles)))
                else list(name = character(), size = numeric(), mtime = numeric())

        result <- list(console = consoleText,
                       error = error,
                       errorMessage = errorMessage,
                       parseError = parseError,
                       warnings = vapply(allWarnings, formatWarningShort, ""),
                       plots = plots,
                       plotDir = if (length(plots) && !readPlots) normalizePath(resultsDir)
                                 else resultsDir,
                       artifacts = arts,
                       interrupted = interrupted,
                       quit = quitCalled,
                       timeStart = timeStart,
                       timeCode = timeCode)
        if (readPlots) result$plotData <- plotData
        result
    }

    assign(".deployr.execute", execute, envir = runtime)
    assign("revoEvent", revoEvent, envir = runtime)
    assign("q", quitMask, envir = runtime)
    assign("quit", quitMask, envir = runtime)
    invisible(NULL)
})
