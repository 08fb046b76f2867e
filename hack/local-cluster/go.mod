// Helper programs of the local test cluster (hack/local-cluster/cluster.sh).
// Not part of the Ansible collection's content.
module localcluster.invalid/tools

go 1.25.0

require sigs.k8s.io/yaml v1.6.0

require go.yaml.in/yaml/v2 v2.4.2 // indirect
