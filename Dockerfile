# mapsvc: the same set-up as the README's quick start, in an image.
#   docker build -t mapsvc .
#   docker run --rm -p 8080:8080 mapsvc
FROM debian:12-slim AS build
WORKDIR /src
COPY . .
RUN bash .ci/setup.sh build && cmake --install build --prefix /opt/mapsvc

FROM debian:12-slim
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libmicrohttpd12 libspatialite7 libsqlite3-0 libsqlite3-mod-spatialite libproj25 proj-data \
      libpng16-16 libjansson4 libcsv3 libfreetype6 fonts-wqy-microhei libxxhash0 libcairo2 libunistring2 libqrencode4 \
      libpq5 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/mapsvc /opt/mapsvc
RUN useradd --system --no-create-home mapsvc
USER mapsvc
EXPOSE 8080
HEALTHCHECK CMD ["/opt/mapsvc/bin/mapsvc", "--version"]
ENTRYPOINT ["/opt/mapsvc/bin/mapsvc"]
CMD ["serve", "--listen", "0.0.0.0:8080"]
