# syntax=docker/dockerfile:1
ARG BASE=busybox
FROM --platform=$BUILDPLATFORM ${BASE:-busybox} AS build
ENV A=1 B="two words" C=${A:+set}
RUN --mount=type=cache,target=/cache --network=none echo $A \
  # comment inside
  && echo ${P##*/} ${P%/*} ${P/usr/opt} ${P//l/L}
COPY --from=build --chown=1:1 --chmod=0755 a b /dst/
ADD --checksum=sha256:00 https://example.com/x /x
RUN <<EOF
echo heredoc
EOF
COPY <<-"END" /f
	text $A
	END
HEALTHCHECK --interval=5s --retries=3 CMD ["wget", "-q", "localhost"]
ONBUILD RUN echo trigger
SHELL ["/bin/sh", "-c"]
CMD ["sh"]
ENTRYPOINT exec sh
LABEL "k 1"=v k2='v 2'
EXPOSE 80 53/udp 8000-8002
VOLUME ["/data"]
USER nobody:nogroup
WORKDIR /a/../b
STOPSIGNAL SIGTERM
MAINTAINER someone
FROM scratch
COPY --from=0 /x /
