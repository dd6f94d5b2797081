# A background worker in busybox sh: one line per tick on stdout, with its hostname and $QUEUE.
host=$(/bin/busybox hostname)
n=0
echo "worker $host: started, queue ${QUEUE:-default}"
while :; do
  n=$((n + 1))
  echo "worker $host: tick $n, queue ${QUEUE:-default}"
  /bin/busybox sleep "${WORKER_EVERY:-3}"
done
