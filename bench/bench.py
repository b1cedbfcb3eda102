#!/usr/bin/env python3
"""The measuring half of bench/run.sh (which builds, installs and generates).

    bench.py OUT_DIR RUNS

Every command runs under `/usr/bin/time -v` (its peak RSS), with the wall
time taken around it here (finer than time's centiseconds). The commands of
one comparison run interleaved, round after round, so that whatever else the
machine does falls on each of them alike; the table shows the median and the
fastest round, and ratios are taken between medians. Output goes to
/dev/null, as for `cat F > /dev/null`.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

# PROVSCOPE_BIN: measure another build (an A/B comparison) with the same harness.
BIN = os.environ.get('PROVSCOPE_BIN', 'target/release/provscope')
TSHARK = ['tshark', '-r', None, '-n', '-Y',
          'dhcp || dns || tftp || tls.handshake || tls.alert_message || sip', '-T', 'fields',
          '-e', 'frame.number', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'dns.qry.name',
          '-e', 'dns.flags.rcode', '-e', 'tls.handshake.type',
          '-e', 'tls.handshake.extensions_server_name', '-e', 'sip.Method',
          '-e', 'sip.Status-Code']


def run_once(argv, stdout=subprocess.DEVNULL):
    """Wall seconds, peak RSS in KiB, exit status and CPU seconds (user +
    system) of one run."""
    with tempfile.NamedTemporaryFile('r', suffix='.time') as tf:
        t0 = time.perf_counter()
        p = subprocess.run(['/usr/bin/time', '-v', '-o', tf.name] + argv, stdout=stdout,
                           stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        rss, cpu = 0, 0.0
        for line in tf.read().splitlines():
            if 'Maximum resident set size' in line:
                rss = int(line.split(':')[1])
            elif 'User time (seconds)' in line or 'System time (seconds)' in line:
                cpu += float(line.split(':')[1])
    return wall, rss, p.returncode, cpu


def warm(*paths):
    """Reads files into the page cache (this machine pages out what is idle
    for a minute, so each measure warms its own input first)."""
    for path in paths:
        names = [os.path.join(path, n) for n in sorted(os.listdir(path))] \
            if os.path.isdir(path) else [path]
        for name in names:
            subprocess.run(['cat', name], stdout=subprocess.DEVNULL, check=True)


def measure(commands, runs, warmup=1):
    """{name: {'median','min','rss','cpu'}} for commands run interleaved;
    cpu is the median of user + system seconds."""
    walls = {name: [] for name, _ in commands}
    cpus = {name: [] for name, _ in commands}
    rss = {name: 0 for name, _ in commands}
    for r in range(warmup + runs):
        for name, argv in commands:
            wall, kib, rc, cpu = run_once(argv)
            if rc not in (0, 1):
                sys.exit('bench: %s exited %d: %s' % (name, rc, ' '.join(argv)))
            if r >= warmup:
                walls[name].append(wall)
                cpus[name].append(cpu)
                rss[name] = max(rss[name], kib)
    return {name: {'median': statistics.median(w), 'min': min(w), 'rss': rss[name],
                   'cpu': statistics.median(cpus[name])}
            for name, w in walls.items()}


def facts_counts(capture, truth, out):
    """Runs `--format facts` and bench/counts.py; True when every count matches."""
    facts = os.path.join(out, os.path.basename(capture) + '.facts')
    with open(facts, 'w') as fh:
        subprocess.run([BIN, 'analyze', capture, '--format', 'facts'], stdout=fh, check=False)
    p = subprocess.run([sys.executable, 'bench/counts.py', facts, truth], capture_output=True,
                       text=True)
    os.unlink(facts)
    if p.returncode != 0:
        print(p.stdout)
    return p.returncode == 0, p.stdout.strip().splitlines()[-1]


def main():
    out, runs = sys.argv[1], int(sys.argv[2])
    cap = {k: os.path.join(out, v) for k, v in (
        ('pcap', 'cap-1G.pcap'), ('pcapng', 'cap-1G.pcapng'), ('gz', 'cap-1G.pcap.gz'),
        ('small', 'cap-100M.pcap'))}
    scan_dir = os.path.join(out, 'scan')
    # The machine may be shared: say how busy it was (1-minute load average).
    load_before = os.getloadavg()[0]
    rows = []   # (measure, median s, min s, cpu s, peak MiB, ratio text, target text, ok)
    results = {}

    def row(what, m, ratio=None, target=None, ok=None):
        rows.append((what, m['median'], m['min'], m['cpu'], m['rss'] / 1024, ratio, target, ok))

    for fmt in ('pcap', 'pcapng'):
        f = cap[fmt]
        m = measure([('cat', ['cat', f]), ('provscope', [BIN, 'analyze', f])], runs)
        ratio = m['provscope']['median'] / m['cat']['median']
        results[fmt] = m
        row('cat 1 GB %s' % fmt, m['cat'])
        row('provscope analyze 1 GB %s' % fmt, m['provscope'], '%.2fx cat' % ratio, '<= 2x cat',
            ratio <= 2.0)
        mib = m['provscope']['rss'] / 1024
        rows.append(('  peak RSS, 1 GB %s' % fmt, None, None, None, mib, None, '< 128 MiB',
                     mib < 128))

    warm(cap['gz'])
    m = measure([('provscope', [BIN, 'analyze', cap['gz']])], max(1, runs // 2), warmup=0)
    mib = m['provscope']['rss'] / 1024
    results['gz'] = m
    row('provscope analyze 1 GB pcap.gz (gzip -1)', m['provscope'], None, '< 128 MiB RSS',
        mib < 128)

    tshark = TSHARK[:]
    tshark[2] = cap['small']
    warm(cap['small'])
    m_ts = measure([('tshark', tshark)], max(1, runs // 2), warmup=0)
    m_ps = measure([('cat', ['cat', cap['small']]),
                    ('provscope', [BIN, 'analyze', cap['small']])], max(10, runs * 2))
    speedup = m_ts['tshark']['median'] / m_ps['provscope']['median']
    results['tshark'] = {**m_ts, **m_ps}
    row('tshark -Y ... -T fields, 100 MB pcap', m_ts['tshark'])
    # cat bounds what any reader of the file can reach against tshark.
    row('cat 100 MB pcap', m_ps['cat'],
        'tshark / cat = %.0f' % (m_ts['tshark']['median'] / m_ps['cat']['median']))
    row('provscope analyze 100 MB pcap', m_ps['provscope'], '%.0fx faster' % speedup,
        '>= 300x tshark', speedup >= 300)

    warm(scan_dir)
    m = measure([('jobs1', [BIN, 'scan', scan_dir, '--jobs', '1']),
                 ('jobs2', [BIN, 'scan', scan_dir, '--jobs', '2'])], max(2, runs // 2))
    ratio = m['jobs2']['median'] / m['jobs1']['median']
    results['scan'] = m
    row('provscope scan 20 x 50 MB --jobs 1', m['jobs1'])
    row('provscope scan 20 x 50 MB --jobs 2', m['jobs2'], '%.2fx jobs 1' % ratio,
        '<= 0.75x jobs 1', ratio <= 0.75)
    same = True
    for fmt in ('json', 'table', 'facts'):
        outs = []
        for jobs in ('1', '2', '0'):
            p = subprocess.run([BIN, 'scan', scan_dir, '--jobs', jobs, '--format', fmt],
                               capture_output=True)
            outs.append(p.stdout)
        same = same and outs[0] == outs[1] == outs[2] and len(outs[0]) > 0
    rows.append(('  scan output, --jobs 1 / 2 / 0 (json, table, facts)', None, None, None, None,
                 'identical' if same else 'DIFFERENT', 'same bytes', same))

    for fmt in ('pcap', 'pcapng'):
        ok, line = facts_counts(cap[fmt], cap[fmt] + '.truth.json', out)
        rows.append(('  counts vs gen.py truth, 1 GB %s' % fmt, None, None, None, None,
                     line.split(';')[-1].strip(), 'equal', ok))

    def num(v, fmt):
        return '' if v is None else fmt % v

    print()
    line = '%-52s %9s %8s %8s %9s  %-22s %-16s %s'
    print(line % ('measure', 'median s', 'min s', 'cpu s', 'peak MiB', 'ratio', 'target', ''))
    for what, med, mn, cpu, mib, ratio, target, ok in rows:
        print(line % (what, num(med, '%.3f'), num(mn, '%.3f'), num(cpu, '%.2f'),
                      num(mib, '%.0f'), ratio or '', target or '',
                      '' if ok is None else ('ok' if ok else 'MISSED')))
    with open(os.path.join(out, 'results.json'), 'w') as fh:
        json.dump({'runs': runs, 'results': results, 'load_before': load_before,
                   'load_after': os.getloadavg()[0], 'rows': [list(r) for r in rows]}, fh,
                  indent=1)
    print('\nload average (1 min): %.2f before, %.2f after, on %d cores; ratios are of medians'
          % (load_before, os.getloadavg()[0], os.cpu_count() or 0))
    missed = [r[0].strip() for r in rows if r[7] is False]
    if missed:
        print('\nmissed: ' + '; '.join(missed))
    return 1 if missed else 0


if __name__ == '__main__':
    sys.exit(main())
