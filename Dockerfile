# syntax=docker/dockerfile:1
#
# The presencekit image: one static binary on a distroless, non-root base
# (no shell, no package manager). Entrypoint: presencekit.
#
#   make image                                   # docker build -t presencekit:dev .
#   docker run --rm presencekit:dev conform      # against the embedded mock
#
# BASE=gcr.io/distroless/static-debian12:debug-nonroot adds a busybox shell
# for CI systems that run job scripts inside the image (GitLab CI): the
# release publishes it as the "-debug" tags.
#
# The go build command below uses the same flags as `make build` and the
# release builds of .goreleaser.yaml; cmd/presencekit/ship_test.go holds
# them together.

ARG GO_VERSION=1.26
ARG BASE=gcr.io/distroless/static-debian12:nonroot

# Compile on the build machine's platform, for the target's (no emulation).
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG TARGETOS TARGETARCH
ARG VERSION=dev
ARG COMMIT=
ARG DATE=
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT} -X main.date=${DATE}" \
    -o /out/presencekit ./cmd/presencekit

# GoReleaser's image (dockers_v2, --target=release): the binary it already
# built for each platform, copied from its build context.
FROM ${BASE} AS release
ARG TARGETPLATFORM
COPY $TARGETPLATFORM/presencekit /usr/local/bin/presencekit
WORKDIR /home/nonroot
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/presencekit"]

# The default target: the binary compiled from this source tree.
FROM ${BASE}
COPY --from=build /out/presencekit /usr/local/bin/presencekit
WORKDIR /home/nonroot
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/presencekit"]
