# syntax=docker/dockerfile:1
ARG BASE=busybox
ARG TAG
FROM ${BASE}:${TAG:-latest} AS base
ENV A=1 B="two words" C=${A:+set}
LABEL org.example.v="1" other='x y'
RUN --mount=type=cache,target=/var/cache/x,id=c1,sharing=locked \
    --mount=type=secret,id=tok,required=true \
    --mount=type=bind,from=base,source=/etc,target=/mnt,rw \
    --network=none echo $A && cat /run/secrets/tok
RUN <<EOT bash
  set -e
  echo "heredoc ${B}"
EOT
COPY --chown=1:1 --chmod=0644 <<-EOF2 /etc/hello.txt
	indented $C
	EOF2
ONBUILD RUN echo onbuild
HEALTHCHECK --interval=5s --timeout=2s --start-period=1s --retries=3 CMD ["true"]
STOPSIGNAL SIGTERM
SHELL ["/bin/sh", "-ec"]
FROM base AS final
COPY --from=base --link /etc/hello.txt /x/
ADD --checksum=sha256:0000000000000000000000000000000000000000000000000000000000000000 https://example.com/a.tgz /a/
WORKDIR ${P}/sub
USER 1000:1000
VOLUME ["/data", "/logs"]
EXPOSE 80/tcp 53/udp 8000-8002
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["echo ${HOME:-none} $$ \$A"]
