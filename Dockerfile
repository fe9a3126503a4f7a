# The stressor binary in a small image, for sharded runs on Kubernetes (deploy/kubernetes/) or any
# container scheduler. Build from the repository root: docker build -t stressor .
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin stressor

FROM debian:bookworm-slim
# CA certificates for https:// targets; `sh` (for the merge job's glob) comes with the base image.
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/stressor /usr/local/bin/stressor
USER 65534
ENTRYPOINT ["stressor"]
