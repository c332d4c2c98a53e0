# recap as a container: a static, pure-Go binary on a minimal base image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o /out/recap ./cmd/recap \
 && mkdir -p /out/state

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/recap /usr/local/bin/recap
# A volume mounted here starts with this directory's owner, so recap (not root) can write.
COPY --from=build --chown=nonroot:nonroot /out/state /var/lib/recap
USER nonroot
ENTRYPOINT ["/usr/local/bin/recap"]
CMD ["run", "-c", "/etc/recap/recap.yaml"]
