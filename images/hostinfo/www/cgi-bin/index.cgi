#!/bin/busybox sh
# Answers with this container's hostname and $GREETING (from the plan's env or --env).
host=$(/bin/busybox hostname)
printf 'Content-Type: text/plain\r\n\r\n'
printf 'hostname: %s\n' "$host"
printf 'greeting: %s\n' "${GREETING:-}"
printf 'path: %s\n' "${REQUEST_URI:-/}"
