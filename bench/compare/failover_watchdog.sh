#!/bin/sh
# The classic BIRD "anycast watchdog" glue, as the bench's bird-script setup runs it.
#
#   failover_watchdog.sh BIRDC SOCKET PROTOCOL INTERVAL CHECK [ARG...]
#
# Every INTERVAL seconds (fractional: GNU sleep) run the health check
# command CHECK ARG...; when its verdict changes, `birdc disable PROTOCOL`
# (check failing) or `birdc enable PROTOCOL` (check passing). PROTOCOL is
# the static protocol holding the service prefix: disabling it withdraws the
# prefix with an UPDATE while the BGP (and BFD) session to the router stays
# up, the usual way this script is written (rather than disabling the BGP
# protocol, which tears down the session and every other prefix on it).
#
# rise = fall = 1 (one result flips the state) and edge-triggered: birdc is
# only called on a change, so an operator's manual `birdc disable PROTOCOL`
# (maintenance) is not undone while the check keeps passing; the protocol is
# enabled again once the check has failed and passes again (service back).
# The first verdict is always applied.
#
# Each change is printed with a wall-clock timestamp.
birdc=$1 sock=$2 proto=$3 interval=$4
shift 4
state=unknown
while :; do
    if "$@" >/dev/null 2>&1; then
        if [ "$state" != up ]; then
            "$birdc" -s "$sock" enable "$proto" >/dev/null 2>&1
            state=up
            echo "$(date +%s.%N) up: birdc enable $proto"
        fi
    else
        if [ "$state" != down ]; then
            "$birdc" -s "$sock" disable "$proto" >/dev/null 2>&1
            state=down
            echo "$(date +%s.%N) down: birdc disable $proto"
        fi
    fi
    sleep "$interval"
done
