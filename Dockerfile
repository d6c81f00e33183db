# For users who have Docker or another builder: the same image `make image` builds without
# one (docs/image.md): a static /manager on a distroless base, non-root (65532), entrypoint
# /manager. CI does not use this file; `make image` is the tested path.
#   docker buildx build --platform linux/amd64,linux/arm64 -t <registry>/nacos-operator:<tag> .
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS=linux
ARG TARGETARCH=amd64
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY api/ api/
COPY controllers/ controllers/
COPY internal/ internal/
COPY *.go ./
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags '-s -w' -o /out/manager .

# distroless/static:nonroot carries CA certificates, /etc/passwd with nonroot (65532) and /tmp.
FROM gcr.io/distroless/static:nonroot
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="nacos-operator" \
      org.opencontainers.image.source="https://github.com/nacos-operator/nacos-operator" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.revision="$REVISION"
COPY --from=build /out/manager /manager
USER 65532:65532
ENTRYPOINT ["/manager"]
