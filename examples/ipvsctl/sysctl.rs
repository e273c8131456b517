//! `ipvsctl sysctl [NAME[=VALUE]...] [--preset NAME] [--json]`: print or set
//! the IPVS sysctls.

use std::process::ExitCode;

use ipvs_netlink::sysctl::{read_sysctls, write_sysctls, KernelVersion, Knob, Preset, Sysctls};

use crate::{Context, Failure, Run};

/// Print every IPVS sysctl (`NAME = VALUE`), or the NAMEs given; set those
/// given as NAME=VALUE, after the --preset's values, each checked against
/// the range the kernel takes before anything is written. After a change
/// the knobs set are printed as read back.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Knob names to print, or NAME=VALUE to set (without net.ipv4.vs.).
    knobs: Vec<String>,
    /// Apply a preset first: kube-proxy (its IPVS mode's settings for the
    /// running kernel) or drain (expire_nodest_conn, expire_quiescent_template).
    #[arg(long, value_name = "NAME")]
    preset: Option<String>,
    /// Print the serde form of the values, as JSON.
    #[arg(long)]
    json: bool,
}

fn fail(name: &str) -> impl Fn(ipvs_netlink::sysctl::SysctlError) -> Failure + '_ {
    move |e| Failure::new(format!("sysctls of {name}"), e)
}

impl Run for Args {
    fn run(self, cx: &Context) -> Result<ExitCode, Failure> {
        let (netns, name) = cx.netns();
        let mut set = match &self.preset {
            None => Sysctls::default(),
            Some(p) => {
                let preset = Preset::from_name(p).ok_or_else(|| {
                    Failure::new(format!("preset {p:?}"), "unknown (kube-proxy, drain)")
                })?;
                let kernel = KernelVersion::running()
                    .map_err(|e| Failure::new("read the kernel version", e))?;
                preset.sysctls(kernel)
            }
        };
        let mut shown: Vec<Knob> = Vec::new();
        for arg in &self.knobs {
            let (knob_name, value) = match arg.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (arg.as_str(), None),
            };
            let knob = Knob::from_name(knob_name).ok_or_else(|| {
                Failure::new(format!("sysctl {knob_name:?}"), "unknown IPVS sysctl")
            })?;
            if let Some(v) = value {
                set.set_text(knob, v).map_err(fail(&name))?;
            }
            shown.push(knob);
        }
        if !set.is_empty() {
            write_sysctls(&netns, &set).map_err(fail(&name))?;
            shown.extend(set.iter().map(|(k, _)| k));
        }
        let now = read_sysctls(&netns).map_err(fail(&name))?;
        let mut selected = Sysctls::default();
        let all = shown.is_empty();
        for (k, text) in now.iter() {
            if all || shown.contains(&k) {
                selected.set_text(k, &text).map_err(fail(&name))?;
            }
        }
        if all {
            selected.others = now.others.clone();
        }
        for k in &shown {
            if now.text(*k).is_none() {
                return Err(Failure::new(
                    format!("sysctls of {name}"),
                    format!("net.ipv4.vs.{k} does not exist on this kernel"),
                ));
            }
        }
        if self.json {
            let text = serde_json::to_string_pretty(&selected)
                .map_err(|e| Failure::new("write the sysctls as JSON", e))?;
            println!("{text}");
        } else {
            for (k, text) in selected.iter() {
                println!("{k} = {text}");
            }
            for (k, text) in &selected.others {
                println!("{k} = {text}");
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
