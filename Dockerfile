# mapsvc: the same set-up as the README's quick start, in an image.
#   docker build -t mapsvc .
#   docker run --rm -p 8080:8080 --read-only --tmpfs /tmp mapsvc
# With your own data and styles, mounted read-only (docs/deploy.md):
#   docker run --rm -p 8080:8080 --read-only --tmpfs /tmp \
#     -v "$PWD/sites.sqlite:/data/sites.sqlite:ro" -v "$PWD/styles:/styles:ro" \
#     -e MAPSVC_DB=/data/sites.sqlite -e MAPSVC_STYLES=/styles mapsvc
# Every `serve` option is also a MAPSVC_* variable (mapsvc serve --help).
# The server writes nothing but its access log, when one is asked for:
# --access-log - (standard output, docker logs) or a file on a volume.
FROM debian:12-slim AS build
WORKDIR /src
COPY . .
RUN bash .ci/setup.sh build && cmake --install build --prefix /opt/mapsvc

FROM debian:12-slim
# Every library the binary links comes from this list or from what these
# packages depend on (tests/tools/check_docker.py checks it against ldd).
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libmicrohttpd12 libspatialite7 libsqlite3-0 libsqlite3-mod-spatialite libproj25 proj-data \
      libpng16-16 libjansson4 libcsv3 libfreetype6 fonts-wqy-microhei libxxhash0 libcairo2 libunistring2 \
      zlib1g libisal2 libqrencode4 libssl3 libpq5 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/mapsvc /opt/mapsvc
# A numeric, unprivileged user (Kubernetes' runAsNonRoot can check it),
# and the mount points of the data and the styles.
RUN useradd --system --no-create-home --uid 10001 --shell /usr/sbin/nologin mapsvc \
 && mkdir -p /data /styles
VOLUME ["/data", "/styles"]
USER 10001:10001
ENV MAPSVC_LISTEN=0.0.0.0:8080
EXPOSE 8080
# Ready, not merely alive: /readyz answers 200 only while serving (503
# once a stop began), and `mapsvc health` (no curl in this image) fails on
# anything else, on a refused connection and on no answer in time.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/opt/mapsvc/bin/mapsvc", "health", "--timeout", "3"]
ENTRYPOINT ["/opt/mapsvc/bin/mapsvc"]
CMD ["serve"]
