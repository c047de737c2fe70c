#!/usr/bin/env bash
# The main job on the local sandbox: deploy examples/web-app to Kubernetes and to ECS, watch
# both rollouts, show their status, then a bad image on Kubernetes failing fast and rolling back.
# Run through `make demo` (which builds bin/shipit and starts the sandbox first).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
[ -f .sandbox/env ] || { echo "the sandbox is not up: run make sandbox-up" >&2; exit 1; }
. .sandbox/env
shipit=${SHIPIT:-$root/bin/shipit}
spec=examples/web-app/shipit.yaml
region=ap-northeast-2 # the example's ecs.region
aws() { command aws --endpoint-url "$AWS_ENDPOINT_URL" --region "$region" --output text "$@"; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "ECS prerequisites in the sandbox's AWS (moto): a cluster, an ECR image, the default VPC"
aws ecs create-cluster --cluster-name web --query cluster.clusterArn
aws ecr describe-repositories --repository-names web >/dev/null 2>&1 ||
  aws ecr create-repository --repository-name web --query repository.repositoryUri
manifest='{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1,"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000001"},"layers":[]}'
aws ecr put-image --repository-name web --image-tag demo --image-manifest "$manifest" \
  --image-digest "sha256:$(printf 'd%.0s' {1..64})" --query image.imageId.imageDigest 2>/dev/null || true
export IMAGE_TAG=demo
SUBNET_A=$(aws ec2 describe-subnets --query 'Subnets[0].SubnetId')
SUBNET_B=$(aws ec2 describe-subnets --query 'Subnets[1].SubnetId')
SECURITY_GROUP=$(aws ec2 describe-security-groups --query 'SecurityGroups[0].GroupId')
export SUBNET_A SUBNET_B SECURITY_GROUP

say "shipit deploy --target eks -f $spec"
"$shipit" deploy --target eks -f "$spec"
say "shipit deploy --target ecs -f $spec"
"$shipit" deploy --target ecs -f "$spec"

say "shipit status, both targets"
"$shipit" status --target eks -f "$spec"
echo
"$shipit" status --target ecs -f "$spec"

say "a bad image on Kubernetes: fails fast and rolls back (exit 4 expected)"
rc=0
"$shipit" deploy --target eks -f "$spec" --image web-app=registry.local/web:image-pull-backoff || rc=$?
echo "exit code: $rc"
[ "$rc" = 4 ] || { echo "expected exit 4" >&2; exit 1; }

say "done: the sandbox is still up (make sandbox-down stops it)"
