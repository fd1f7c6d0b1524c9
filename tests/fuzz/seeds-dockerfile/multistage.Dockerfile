# Stage 1, "builder": turns the sources into the artifact — renders the page
# with the version stamped in and writes a checksum manifest. Its tools and
# sources stay behind in this stage.
FROM busybox AS builder
ARG VERSION=dev
WORKDIR /src
COPY src/ ./
RUN mkdir -p /out \
 && sed "s/@VERSION@/${VERSION}/g" index.html.in > /out/index.html \
 && cp style.css /out/ \
 && cd /out && sha256sum index.html style.css > MANIFEST

# Stage 2, the image that runs: a clean base plus only the artifact.
FROM busybox
COPY --from=builder /out /srv
EXPOSE 8080
CMD ["httpd", "-f", "-p", "8080", "-h", "/srv"]
