mod support;
use support::*;

#[test]
fn smoke() {
    let c = Conv::new("10.0.0.5:50123", "10.0.0.9:3389");
    let bytes = pcap_of(Link::Eth, &handshake(&c, T0));
    std::fs::write("/tmp/scratch/smoke.pcap", &bytes).unwrap();
    let (r, _d, _p) = analyze_bytes("a.pcap", &bytes);
    println!("{}", r.to_json());
}
