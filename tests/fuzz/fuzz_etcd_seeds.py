#!/usr/bin/env python3
"""Seed inputs for fuzz_etcd: answers etcd 3.4.23's JSON gateway gave in
tests/e2e/test-etcd-client.sh's cluster (ranges with binary keys, txns
with ranges inside, leases, errors, a watch stream), each behind the
selector byte fuzz_etcd.c reads. Writes them into the corpus directory
given."""
import os, sys

H = b'"header":{"cluster_id":"7439189050058283617","member_id":"3502864895075337578",' \
    b'"revision":"3","raft_term":"35"}'
KV = b'{"key":"ZWN0LzEyL2IvAP8=","create_revision":"2","mod_revision":"2","version":"1",' \
     b'"value":"AP8AAQ==","lease":"7587869215312396291"}'
seeds = {
    "range": b"\x00{" + H + b',"kvs":[' + KV + b',' + KV + b'],"more":true,"count":"20"}',
    "range-empty": b"\x00{" + H + b"}",
    "range-numbers": b'\x00{"header":{"revision":3},"kvs":[{"key":"YQ==","mod_revision":2}],"count":1}',
    "txn": b"\x01{" + H + b',"succeeded":true,"responses":[{"response_put":{"header":{"revision":"25"}}},'
           b'{"response_range":{"header":{"revision":"25"},"kvs":[' + KV + b'],"count":"1"}}]}',
    "txn-failed": b"\x01{" + H + b',"responses":[{"response_range":{"header":{"revision":"24"}}}]}',
    "grant": b"\x02{" + H + b',"ID":"7587869215312396291","TTL":"5"}',
    "keepalive": b'\x03{"result":{' + H + b',"ID":"7587869215312396291","TTL":"5"}}',
    "keepalive-gone": b'\x03{"result":{' + H + b',"ID":"1234"}}',
    "ttl-gone": b"\x03{" + H + b',"ID":"1234","TTL":"-1"}',
    "err-timeout": b'\x0c{"error":"etcdserver: request timed out","message":"etcdserver: request timed out","code":14}',
    "err-deadline": b'\x0c{"error":"context deadline exceeded","message":"context deadline exceeded","code":2}',
    "err-stream": b'\x04{"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader","http_status":"Service Unavailable"}}',
    "err-compacted": b'\x04{"error":"etcdserver: mvcc: required revision has been compacted","message":"x","code":11}',
    "watch-events": b'\x05{"result":{' + H + b',"events":[{"kv":' + KV + b'},{"type":"DELETE","kv":{"key":"YQ==","mod_revision":"4"}}]}}',
    "watch-cancel": b'\x06{"result":{"header":{"raft_term":"35"},"canceled":true,"compact_revision":"3"}}',
}
stream = (b'{"result":{' + H + b',"created":true}}\n'
          b'{"result":{' + H + b',"events":[{"kv":' + KV + b'}]}}\n'
          b'{"result":{' + H + b'}}\n'
          b'{"result":{"header":{"raft_term":"35"},"canceled":true,"compact_revision":"3",'
          b'"cancel_reason":"a \\"quoted\\" } brace"}}\n')
seeds["stream"] = b"\x07\x03\x05\x01\x40" + stream
seeds["stream-whole"] = b"\x07\x00" + stream

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, "seed-" + name), "wb") as f:
        f.write(data)
