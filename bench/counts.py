#!/usr/bin/env python3
"""Compare what provscope finds (`--format facts`, one JSON object a line)
with the ground truth that ../shared/bench/gen.py --truth writes.

    counts.py FACTS.jsonl TRUTH.json

Each count is defined the way gen.py bumps its counter: a counter follows the
frame that completes the exchange (gen.py `mark` after the frame), so a
conversation cut by the end of the capture counts only what it finished.

Phones live in 10.20.0.0/16 and 2001:db8:20::/48 (gen.py `Phone`); the PCs
of the noise (RTP peers aside) in 10.30.0.0/16 and 2001:db8:30::/48. Counts
about phones ignore PC traffic (its unrelated DNS and its bulk HTTPS
handshakes), as gen.py does.

Exit status 0 when every count matches, 1 with a table of the differences.
"""
import collections
import ipaddress
import json
import sys

PHONE_NETS = (ipaddress.ip_network('10.20.0.0/16'), ipaddress.ip_network('2001:db8:20::/48'))
SBC_PORT = 8934


def address(sockaddr):
    """'10.0.0.1:53' or '[2001:db8::1]:53' -> ip_address, port."""
    host, port = sockaddr.rsplit(':', 1)
    return ipaddress.ip_address(host.strip('[]')), int(port)


def is_phone(sockaddr):
    ip, _ = address(sockaddr)
    return any(ip.version == n.version and ip in n for n in PHONE_NETS)


def port(sockaddr):
    return address(sockaddr)[1]


def option_codes(dhcp):
    return {o['code'] for o in dhcp.get('options', [])}


def count(facts):
    c = collections.Counter()
    # DNS: every phone query, then which of them stayed unanswered.
    queries = collections.defaultdict(list)   # key -> [frame of each query]
    answered = collections.defaultdict(list)  # key -> [frame of each response]
    # TLS per connection: what the server finished, alerts, resets.
    conn = collections.defaultdict(lambda: {'sh': 0, 'shd': False, 'salert': 0, 'srst': False,
                                            'port': 0})
    for f in facts:
        proto = f['proto']
        if proto == 'dhcp':
            mtype = f.get('message_type')
            name = {1: 'discover', 2: 'offer', 3: 'request', 5: 'ack', 6: 'nak'}.get(mtype)
            if name:
                c['dhcp_' + name] += 1
            if mtype == 2:
                codes = option_codes(f)
                c['dhcp_offer_opt150'] += 150 in codes
                c['dhcp_offer_opt66'] += 66 in codes
        elif proto == 'dns' and f['l4'] == 'udp':
            q = f['questions'][0] if f['questions'] else {}
            if not f['response'] and is_phone(f['src']):
                c['dns_queries'] += 1
                queries[(f['src'], f['id'], q.get('name'), q.get('qtype'))].append(f['frame'])
            elif f['response'] and is_phone(f['dst']):
                c['dns_responses'] += 1
                c['dns_nxdomain'] += f['rcode'] == 3
                answered[(f['dst'], f['id'], q.get('name'), q.get('qtype'))].append(f['frame'])
        elif proto == 'tftp':
            if f['opcode'] == 'RRQ' and is_phone(f['src']):
                c['tftp_rrq'] += 1
            elif f['opcode'] == 'ERROR' and is_phone(f['dst']):
                c['tftp_error'] += 1
        elif proto == 'tls':
            ev = f['event']
            msg = ev.get('msg') if isinstance(ev, dict) else ev
            client = f['src'] if f['from_client'] else f['dst']
            server = f['dst'] if f['from_client'] else f['src']
            if not is_phone(client):
                if msg == 'client_hello':
                    c['bulk_tls_handshakes'] += 1
                continue
            st = conn[f['conn']]
            st['port'] = port(server)
            if msg == 'client_hello':
                c['tls_clienthello_%d' % port(server)] += 1
            elif msg == 'server_hello':
                st['sh'] += 1
            elif msg == 'server_hello_done':
                st['shd'] = True
            elif msg == 'alert':
                if f['from_client']:
                    c['tls_alert_client'] += 1
                else:
                    st['salert'] += 1
        elif proto == 'closed':
            if f['rst'] and not f['from_client'] and f['conn'] in conn:
                conn[f['conn']]['srst'] = True
        elif proto == 'tcp':
            if not is_phone(f['src']):
                continue
            if f['result'] == 'no_answer' and f['syns'] >= 4:
                c['tcp_syn_unanswered'] += 1   # gen.py: the SYN and 3 retries, then its mark
            elif f['result'] == 'refused':
                c['tcp_rst'] += 1
        elif proto == 'sip':
            start = f['start']
            if start.get('kind') == 'request' and start.get('method') == 'REGISTER':
                c['sip_register'] += is_phone(f['src'])
            elif start.get('kind') == 'response' and is_phone(f['dst']):
                code = start.get('code')
                if code in (401, 200, 403):
                    c['sip_%d' % code] += 1
    for st in conn.values():
        # gen.py marks a server hello once its whole flight (to ServerHelloDone) is
        # out, and a server alert once the RST after it is.
        if st['shd']:
            c['tls_serverhello_%d' % st['port']] += st['sh']
        if st['srst']:
            c['tls_alert_server'] += st['salert']

    # A query is unanswered when a retry or nothing answered it. A query with
    # no answer that is its key's last one is ambiguous when it is the last
    # thing its phone did: the answer of an ordinary exchange may fall after the
    # end of the capture (not counted by gen.py), or it was lost (counted).
    last_frame = collections.defaultdict(int)
    for f in facts:
        for side in ('src', 'dst'):
            if is_phone(f[side]):
                ip = address(f[side])[0]
                last_frame[ip] = max(last_frame[ip], f['frame'])
    sure, unsure = 0, 0
    for key, frames in queries.items():
        answers = sorted(answered.get(key, []))
        for i, qf in enumerate(frames):
            nxt = frames[i + 1] if i + 1 < len(frames) else None
            answer = next((a for a in answers if a > qf and (nxt is None or a < nxt)), None)
            if answer is not None:
                continue
            if nxt is not None or last_frame[address(key[0])[0]] > qf:
                sure += 1
            else:
                unsure += 1
    c['dns_unanswered'] = sure
    return c, unsure


EXACT = ['dhcp_discover', 'dhcp_offer', 'dhcp_request', 'dhcp_ack', 'dhcp_nak',
         'dhcp_offer_opt150', 'dhcp_offer_opt66', 'dns_queries', 'dns_responses', 'dns_nxdomain',
         'tftp_rrq', 'tftp_error', 'tls_clienthello_443', 'tls_clienthello_%d' % SBC_PORT,
         'tls_serverhello_443', 'tls_serverhello_%d' % SBC_PORT, 'tls_alert_client',
         'tls_alert_server', 'tcp_syn_unanswered', 'tcp_rst', 'sip_register', 'sip_401',
         'sip_200', 'sip_403']


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1]) as fh:
        facts = [json.loads(line) for line in fh if line.strip()]
    with open(sys.argv[2]) as fh:
        truth = json.load(fh)
    got, unsure = count(facts)
    rows, bad = [], 0
    for key in EXACT:
        ok = got[key] == truth[key]
        bad += not ok
        rows.append((key, truth[key], got[key], 'ok' if ok else 'MISMATCH'))
    # Unanswered queries: the ambiguous ones at the end may go either way.
    key = 'dns_unanswered'
    lo, hi = got[key], got[key] + unsure
    ok = lo <= truth[key] <= hi
    bad += not ok
    found = str(lo) if unsure == 0 else '%d..%d' % (lo, hi)
    rows.append((key, truth[key], found, 'ok' if ok else 'MISMATCH'))
    # gen.py counts a bulk handshake when it plans the flow, before its frames.
    key = 'bulk_tls_handshakes'
    ok = got[key] <= truth[key] <= got[key] + 1
    bad += not ok
    rows.append((key, truth[key], got[key], 'ok' if ok else 'MISMATCH'))
    width = max(len(r[0]) for r in rows)
    print('%-*s %8s %10s' % (width, 'count', 'truth', 'provscope'))
    for name, want, have, verdict in rows:
        print('%-*s %8s %10s  %s' % (width, name, want, have, verdict))
    print('%d facts; %d of %d counts differ' % (len(facts), bad, len(rows)))
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    main()
