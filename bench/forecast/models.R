# The R side of the forecasting benchmark: R's forecast package (Debian's
# r-cran-forecast 8.20) on one series, at the origins listed in series.tsv
# (written by prep.py).
#
# Usage: Rscript models.R OUT_DIR SERIES MODELS OUT.csv
#   MODELS: comma-separated, of snaive-day,snaive-week,dshw,stlf-ets,tbats
#
# Each origin's fit sees only the series before the origin, and of it only
# the last 8 weeks (2688 slots; the whole history when shorter), for every
# model alike; hive-forecast is given the same window (hive.py).
# Values are energies per slot: the mean power times 0.5 h (Wh for the
# households, MWh for taylor's MW), as the scoring uses.
#
# Gaps: dshw and tbats cannot take NaN, so a gap in the window is filled,
# in time order, by the value one week earlier, else one day earlier, else
# one week later, else one day later (for R only; the count is written to
# standard error and to the output's note). PV series have no gaps left
# (prep.py put 0 W in their absent night rows).
#
# Models (h = 48, prediction intervals at 80 %: lower = q10, upper = q90,
# point forecast = q50):
#   snaive-day   snaive(ts(y, frequency = 48))
#   snaive-week  snaive(ts(y, frequency = 336))
#   dshw         dshw(y, period1 = 48, period2 = 336): Taylor's multiplicative
#                double-seasonal Holt-Winters; it refuses values <= 0, so a
#                series with such values gets an offset of 1 (Wh) added before
#                the fit and subtracted from the forecast. forecast 8.20's dshw
#                gives no prediction intervals: q10, q90 are NA.
#   stlf-ets     stlf(ts(y, frequency = 48), method = "ets"): STL on the daily
#                season, ETS on the seasonally adjusted series. (ets() itself
#                ignores seasons longer than 24 and is not run.)
#   tbats        tbats(msts(y, seasonal.periods = c(48, 336)),
#                use.parallel = FALSE): one core, like the other fits.
# A fit's time is the elapsed time (proc.time) of the model call and its
# forecast, without reading, windowing or gap filling. A fit that fails is
# written with NA forecasts and the error in the note.
#
# Output CSV: side,series,model,origin,slot_time,point,q10,q50,q90,seconds,used,note
args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 4) stop("usage: Rscript models.R OUT_DIR SERIES MODELS OUT.csv")
dir <- args[1]; name <- args[2]; models <- strsplit(args[3], ",")[[1]]; outfile <- args[4]
suppressMessages(library(forecast))

H <- 48L; DAY <- 48L; WEEK <- 336L; WINDOW <- 8L * WEEK; STEP <- 1800
info <- read.delim(file.path(dir, "series.tsv"), stringsAsFactors = FALSE, colClasses = "character")
info <- info[info$name == name, ]
if (nrow(info) != 1) stop("no series ", name, " in series.tsv")
parse_t <- function(s) as.POSIXct(s, format = "%Y-%m-%dT%H:%M:%SZ", tz = "UTC")
fmt_t <- function(t) format(t, "%Y-%m-%dT%H:%M:%SZ", tz = "UTC")

d <- read.csv(file.path(dir, info$file), colClasses = c("character", "numeric"))
tt <- parse_t(d$timestamp)
t0 <- tt[1]
idx <- as.integer(round(as.numeric(difftime(tt, t0, units = "secs")) / STEP)) + 1L
y <- rep(NA_real_, max(idx))
y[idx] <- d$value * 0.5   # mean power over 30 min -> energy per slot
origins <- parse_t(strsplit(info$origins, ",")[[1]])

fill_gaps <- function(x) {
	n <- length(x); miss <- which(is.na(x))
	for (i in miss) {
		for (k in c(-WEEK, -DAY, WEEK, DAY)) {
			j <- i + k
			if (j >= 1 && j <= n && !is.na(x[j])) { x[i] <- x[j]; break }
		}
	}
	if (anyNA(x)) stop("gaps left that a week or day either side cannot fill")
	x
}

fit <- function(model, w) {
	if (model == "snaive-day") {
		f <- snaive(ts(w, frequency = DAY), h = H, level = 80)
	} else if (model == "snaive-week") {
		f <- snaive(ts(w, frequency = WEEK), h = H, level = 80)
	} else if (model == "dshw") {
		off <- if (min(w) <= 0) 1 else 0
		f <- dshw(msts(w + off, seasonal.periods = c(DAY, WEEK)), period1 = DAY, period2 = WEEK, h = H)
		return(list(point = as.numeric(f$mean) - off, q10 = rep(NA_real_, H), q90 = rep(NA_real_, H),
		            used = if (off > 0) "dshw (offset 1)" else "dshw"))
	} else if (model == "stlf-ets") {
		f <- stlf(ts(w, frequency = DAY), h = H, method = "ets", level = 80)
	} else if (model == "tbats") {
		m <- tbats(msts(w, seasonal.periods = c(DAY, WEEK)), use.parallel = FALSE)
		f <- forecast(m, h = H, level = 80)
	} else stop("unknown model ", model)
	list(point = as.numeric(f$mean), q10 = as.numeric(f$lower[, 1]), q90 = as.numeric(f$upper[, 1]),
	     used = f$method)
}

rows <- list()
for (model in models) {
	for (k in seq_along(origins)) {
		o <- origins[k]
		oi <- as.integer(round(as.numeric(difftime(o, t0, units = "secs")) / STEP))  # slots before the origin
		hist <- y[seq_len(oi)]
		from <- max(1L, oi - WINDOW + 1L)
		nfill <- sum(is.na(hist[from:oi]))
		w <- fill_gaps(hist)[from:oi]
		note <- if (nfill > 0) sprintf("%d gap slots filled (week/day before)", nfill) else ""
		start <- proc.time()[["elapsed"]]
		r <- tryCatch(fit(model, w), error = function(e) e)
		secs <- proc.time()[["elapsed"]] - start
		if (inherits(r, "error")) {
			msg <- gsub("[\r\n,]", " ", conditionMessage(r))
			message(sprintf("models.R: %s %s %s: failed: %s", name, model, fmt_t(o), msg))
			r <- list(point = rep(NA_real_, H), q10 = rep(NA_real_, H), q90 = rep(NA_real_, H), used = "")
			note <- paste("error:", msg)
		}
		message(sprintf("models.R: %s %-11s %s %7.2f s  %s %s", name, model, fmt_t(o), secs, r$used, note))
		rows[[length(rows) + 1]] <- data.frame(
			side = "R", series = name, model = model, origin = fmt_t(o),
			slot_time = fmt_t(o + (seq_len(H) - 1) * STEP),
			point = r$point, q10 = r$q10, q50 = r$point, q90 = r$q90,
			seconds = round(secs, 3), used = gsub(",", ";", r$used), note = note)
	}
}
out <- do.call(rbind, rows)
write.csv(out, paste0(outfile, ".tmp"), row.names = FALSE, quote = FALSE, na = "")
invisible(file.rename(paste0(outfile, ".tmp"), outfile))
