# Helpers about the lab's LXC machines (sourced after settings.sh).

# The machines the Vagrantfile defines for CMX_NODES, one a line.
lab_machines() { echo manager; seq -f 'node%g' 1 "$CMX_NODES"; }

# Our LXC containers that exist, one a line (NAME-manager, NAME-nodeK).
our_containers() { lxc-ls -1 2>/dev/null | grep -E "^$CMX_VAGRANT_NAME-(manager|node[0-9]+)\$" || true; }

# True when every machine is running, known to Vagrant under its container and provisioned to
# the end (the Vagrantfile's last step writes the mark, its first step removes it), and no
# other machine of ours exists.
lab_ready() {
  local m c
  [ "$(our_containers | sort)" = "$(lab_machines | sed "s/^/$CMX_VAGRANT_NAME-/" | sort)" ] || return 1
  for m in $(lab_machines); do
    c=$CMX_VAGRANT_NAME-$m
    [ "$(cat "$VAGRANT_DIR/.vagrant/machines/$m/lxc/id" 2>/dev/null)" = "$c" ] || return 1
    [ "$(lxc-info -n "$c" -sH 2>/dev/null)" = RUNNING ] || return 1
    lxc-attach -n "$c" -- test -f /etc/cloudmatrix/vagrant-provisioned 2>/dev/null || return 1
  done
}
