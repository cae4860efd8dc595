# Writes R's `taylor` (forecast 8.20: England and Wales demand, MW, half-hourly,
# 4032 values from Monday 2000-06-05 00:00 UK local time, which is BST = UTC+1
# throughout) as timestamp,value with RFC 3339 UTC timestamps of each
# half-hour's start: 2000-06-04T23:00:00Z, ...
# Usage: Rscript taylor.R OUT.csv
args <- commandArgs(trailingOnly = TRUE)
stopifnot(length(args) == 1)
suppressMessages(library(forecast))
data(taylor, package = "forecast")
y <- as.numeric(taylor)
stopifnot(length(y) == 4032, all(is.finite(y)))
t0 <- as.POSIXct("2000-06-04 23:00:00", tz = "UTC")
ts <- t0 + (seq_along(y) - 1) * 1800
out <- data.frame(timestamp = format(ts, "%Y-%m-%dT%H:%M:%SZ", tz = "UTC"),
                  value = format(y, scientific = FALSE, trim = TRUE, digits = 15))
write.csv(out, args[1], row.names = FALSE, quote = FALSE)
