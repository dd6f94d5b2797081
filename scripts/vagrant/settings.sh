# Settings of the VM lab on LXC (sourced by the scripts beside this file; vagrant/Vagrantfile reads
# the same variables with the same defaults). The defaults stay clear of the namespace lab (cmx0,
# 10.77.0.0/24).
CMX_NODES=${CMX_NODES:-2}
CMX_PREFIX=${CMX_PREFIX:-10.78.0}                         # the lab /24; the manager is .1
CMX_VAGRANT_BRIDGE=${CMX_VAGRANT_BRIDGE:-cmxv0}           # the lab network (the manager's DHCP)
CMX_VAGRANT_HOST_IP=${CMX_VAGRANT_HOST_IP:-$CMX_PREFIX.254} # the host on it, to reach Varnish
CMX_VAGRANT_NAT_BRIDGE=${CMX_VAGRANT_NAT_BRIDGE:-cmxvnat0} # eth0 of each machine: SSH and apt
CMX_VAGRANT_NAT_PREFIX=${CMX_VAGRANT_NAT_PREFIX:-10.79.0} # host .1, manager .10, nodeK .(10+K)
CMX_VAGRANT_NAME=${CMX_VAGRANT_NAME:-cmxv}                # LXC containers NAME-manager, NAME-nodeK
CMX_VAGRANT_CACHE=${CMX_VAGRANT_CACHE:-/var/cache/cloudmatrix/vagrant}
CMX_VAGRANT_NFT_TABLE=cmxvagrant_$CMX_VAGRANT_NAT_BRIDGE  # nft table ip ...: NAT of the NAT bridge
export CMX_NODES CMX_PREFIX CMX_VAGRANT_BRIDGE CMX_VAGRANT_HOST_IP CMX_VAGRANT_NAT_BRIDGE \
  CMX_VAGRANT_NAT_PREFIX CMX_VAGRANT_NAME CMX_VAGRANT_CACHE
# Vagrant asks HashiCorp for news at each run: the lab talks only to Debian's mirror.
export VAGRANT_CHECKPOINT_DISABLE=1
VAGRANT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../vagrant" && pwd)
vlog() { printf '%s vagrant-lab: %s\n' "$(date +%T)" "$*" >&2; }
