#!/usr/bin/env python3
"""Writes a large Compose project for the loader benchmark: N services with
anchors, merge keys, interpolation, healthchecks, a depends_on chain, ports,
volumes and two networks.  Usage: gen_compose.py [N] > compose.yaml"""
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
out = []
w = out.append
w("name: bench")
w("x-common: &common")
w("  image: ${BASE_IMAGE:-busybox}:${BASE_TAG:-latest}")
w("  restart: unless-stopped")
w("  environment: &env")
w("    LOG_LEVEL: ${LOG_LEVEL:-info}")
w("    REGION: \"${REGION:-eu-west-1}\"")
w("  healthcheck: &hc")
w("    test: [\"CMD-SHELL\", \"wget -q -O- http://localhost:8080/health || exit 1\"]")
w("    interval: 10s")
w("    timeout: 3s")
w("    retries: 3")
w("    start_period: 5s")
w("  networks: [front, back]")
w("")
w("services:")
for i in range(n):
    w(f"  svc{i}:")
    w("    <<: *common")
    w(f"    command: [\"sh\", \"-c\", \"echo svc{i} && sleep 3600\"]")
    w("    environment:")
    w("      <<: *env")
    w(f"      SERVICE_INDEX: \"{i}\"")
    w(f"      DB_URL: postgres://user:$${{PASSWORD}}@db{i % 10}:5432/app")
    w("    ports:")
    w(f"      - \"{10000 + i}:8080\"")
    w(f"      - target: 9090")
    w(f"        published: \"{20000 + i}\"")
    w("        protocol: tcp")
    w("    volumes:")
    w(f"      - data{i % 20}:/var/lib/data")
    w(f"      - ./conf/svc{i}:/etc/svc:ro")
    w("      - type: tmpfs")
    w("        target: /tmp")
    w("        tmpfs:")
    w("          size: 1048576")
    w("    labels:")
    w(f"      - com.example.index={i}")
    w("      - com.example.tier=${TIER:-backend}")
    if i > 0:
        w("    depends_on:")
        w(f"      svc{i-1}:")
        w("        condition: service_healthy" if i % 2 else "        condition: service_started")
w("")
w("networks:")
w("  front: {}")
w("  back:")
w("    internal: true")
w("")
w("volumes:")
for v in range(20):
    w(f"  data{v}: {{}}")
print("\n".join(out))
