#!/bin/sh
# Writes the replication and Sentinel configuration of one pod of the StatefulSet
# "redis" (redis.yaml) into $REDIS_RUN_DIR before Redis and its Sentinel start.
#
# Which pod is the master is Sentinel's knowledge, not the pod's: a pod asks the
# Sentinels of the other pods first and follows the master they name (itself
# included, when it was the master and no failover happened while it restarted).
# Only when no Sentinel answers (the very first start) is pod 0 the master.
set -eu

: "${POD_NAME:?POD_NAME is not set}"
: "${REDIS_PASSWORD:?REDIS_PASSWORD is not set}"
service=${REDIS_SERVICE:-redis}
master_name=${REDIS_SENTINEL_NAME:-gittix}
replicas=${REDIS_REPLICAS:-3}
quorum=${REDIS_SENTINEL_QUORUM:-2}
run_dir=${REDIS_RUN_DIR:-/run/redis}
set_name=${POD_NAME%-*}
# Fully qualified when the namespace is known: the names Sentinel hands out must
# resolve for clients outside the namespace too (KEDA's operator, namespace keda).
if [ -n "${POD_NAMESPACE:-}" ]; then
  domain="$service.$POD_NAMESPACE.svc.${CLUSTER_DOMAIN:-cluster.local}"
else
  domain=$service
fi
self="$POD_NAME.$domain"

master=""
i=0
while [ "$i" -lt "$replicas" ]; do
  peer="$set_name-$i.$domain"
  if [ "$peer" != "$self" ]; then
    answer=$(REDISCLI_AUTH="$REDIS_PASSWORD" timeout 3 \
      redis-cli --no-auth-warning -h "$peer" -p 26379 \
      sentinel get-master-addr-by-name "$master_name" 2>/dev/null | head -n 1) || answer=""
    if [ -n "$answer" ]; then
      master=$answer
      break
    fi
  fi
  i=$((i + 1))
done
if [ -z "$master" ]; then
  master="$set_name-0.$domain"
fi

mkdir -p "$run_dir"
umask 077
{
  echo "# written by redis-config.sh: master $master"
  echo "replica-announce-ip $self"
  if [ "$master" != "$self" ]; then
    echo "replicaof $master 6379"
  fi
} >"$run_dir/replica.conf"

{
  echo "port 26379"
  echo "sentinel resolve-hostnames yes"
  echo "sentinel announce-hostnames yes"
  echo "sentinel announce-ip $self"
  echo "requirepass $REDIS_PASSWORD"
  echo "sentinel monitor $master_name $master 6379 $quorum"
  echo "sentinel auth-pass $master_name $REDIS_PASSWORD"
  echo "sentinel down-after-milliseconds $master_name 5000"
  echo "sentinel failover-timeout $master_name 60000"
  echo "sentinel parallel-syncs $master_name 1"
} >"$run_dir/sentinel.conf"

echo "redis-config: $self follows $master"
