#!/bin/busybox sh
# INCR (or, with ?peek, GET) the key "counter" in Redis at $REDIS_HOST:$REDIS_PORT over busybox nc;
# QUIT makes Redis close the connection, so nc returns at once.
cmd='INCR counter'
[ "${QUERY_STRING:-}" = peek ] && cmd='GET counter'
reply=$(printf '%s\r\nQUIT\r\n' "$cmd" | /bin/busybox timeout 3 /bin/busybox nc -w 2 "${REDIS_HOST:-}" "${REDIS_PORT:-6379}" 2>&1 | /bin/busybox head -n 2 | /bin/busybox tr -d '\r')
value=$(printf '%s\n' "$reply" | /bin/busybox sed -n 's/^[:$]//p' | /bin/busybox head -n 1)
case "$reply" in
  :*) ;;
  \$-1*) value=0 ;;
  \$*) value=$(printf '%s\n' "$reply" | /bin/busybox sed -n 2p) ;;
  *)
    printf 'Status: 503 Service Unavailable\r\nContent-Type: text/plain\r\n\r\n'
    printf 'redis at %s:%s: no answer (%s)\n' "${REDIS_HOST:-}" "${REDIS_PORT:-}" "$reply"
    exit 0 ;;
esac
printf 'Content-Type: text/plain\r\nCache-Control: no-store\r\n\r\n'
printf 'counter: %s\n' "$value"
printf 'hostname: %s\n' "$(/bin/busybox hostname)"
