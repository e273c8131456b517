//! probe
use std::process::Command;

fn run(cmd: &str) -> String {
    let o = Command::new("sh").arg("-c").arg(cmd).output().unwrap();
    format!(
        "$ {cmd}\n[rc={:?}]\n[stdout]{}\n[stderr]{}\n",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

crate::kernel_tests! {
    fn ipvsadm_compat_probe() {
        let cmds = [
            "ipvsadm -A -t -s rr",
            "ipvsadm -A -t",
            "ipvsadm -A --foo",
            "ipvsadm -Aq",
            "ipvsadm -A -t 10.0.0.1:80 -qz",
            "ipvsadm --foo",
            "ipvsadm foo",
            "ipvsadm -L foo",
            "ipvsadm -A -t 10.0.0.1:80 -p -s rr",
            "ipvsadm -A -t 10.0.0.2:80 -p300",
            "ipvsadm -A -t 10.0.0.3:80 --persistent=30",
            "ipvsadm -A -t 10.0.0.4:80 -p -10",
            "ipvsadm -A -t=10.0.0.5:80",
            "ipvsadm -A --tcp-service=10.0.0.6:80 --scheduler=rr",
            "ipvsadm -A -t10.0.0.7:80",
            "ipvsadm -A -t 10.0.0.7:80",
            "ipvsadm -a -t 10.0.0.7:80 -r 10.0.1.1 -w 70000",
            "ipvsadm -a -t 10.0.0.7:80 -r 10.0.1.1 -x 1 -y 5",
            "ipvsadm -a -t 10.0.0.7:80 -r 10.0.1.1",
            "ipvsadm -a -t 10.0.0.7:80 -r 10.0.1.1",
            "ipvsadm -a -t 10.0.0.9:80 -r 10.0.1.1",
            "ipvsadm -d -t 10.0.0.7:80 -r 10.0.1.9",
            "ipvsadm -e -t 10.0.0.7:80 -r 10.0.1.9",
            "ipvsadm -D -t 10.0.0.9:80",
            "ipvsadm -E -t 10.0.0.9:80",
            "ipvsadm -A -t 10.0.0.10:80 -s nosuch",
            "ipvsadm -Z -t 10.0.0.9:80",
            "ipvsadm -L -t 10.0.0.9:80",
            "ipvsadm -Ln -t 10.0.0.7:80 --stats",
            "ipvsadm -L -n -c --stats",
            "ipvsadm --stop-daemon master",
            "ipvsadm --start-daemon master --mcast-interface nosuch0",
            "ipvsadm --start-daemon foo",
            "ipvsadm --set 1 2",
            "ipvsadm --set 1 2 3 4",
            "ipvsadm --set 1 2 x",
            "ipvsadm -L -- -n",
            "ipvsadm -A -t 10.0.0.11:80 --pe nosuch -p",
            "ipvsadm -A -t 10.0.0.12:0",
            "ipvsadm -v",
            "ipvsadm -h | head -3",
            "ipvsadm -h -L",
            "ipvsadm -L -h",
            "ipvsadm -Ln",
            "ipvsadm -L",
            "ipvsadm -A -t localhost:http",
            "ipvsadm -L --daemon --timeout",
            "unshare -U ipvsadm -Ln",
            "unshare -U ipvsadm -A -t 1.1.1.1:1",
            "cat /proc/net/ip_vs_conn",
            "ipvsadm -lcn",
            "ipvsadm -A -f 7 -6",
            "ipvsadm -A -6 -f 8",
            "ipvsadm -A -t [::1]:80 -M 64 -p",
            "ipvsadm -Sn",
            "printf -- '-A -t 10.9.0.1:80\\n-A -t 10.9.0.1:80\\n-a -t 10.9.0.1:80 -r 10.0.0.1 -m\\n' | ipvsadm -R",
            "printf -- '-A -t 10.9.0.2:80\\n-A -t 10.9.0.1:80\\n' | ipvsadm -R",
            "printf -- '-A -t 10.9.0.3:80\\n-A -t 10.9.0.1:80 -q\\n-A -t 10.9.0.4:80\\n' | ipvsadm -R",
            "printf -- '# hello\\n' | ipvsadm -R",
            "ipvsadm -a -t 10.0.0.7:80 -r 10.0.1.2 -m -x 1 -y 5",
        ];
        let mut out = String::new();
        for c in cmds {
            out.push_str(&run(c));
        }
        panic!("PROBE\n{out}");
    }
}
