#!/usr/bin/env bash
# The story `make demo` tells: an Indian agency hands digital evidence to a US agency without
# breaking its chain of custody, shares intelligence with it under TLP, links fraud complaints
# into networks for a joint operation, and finds, drafts and tracks the lawful route to evidence
# abroad. Two nodes in two home folders, on SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT="$ROOT/demo/out"
export COLUMNS="${COLUMNS:-150}"
COMITY="$ROOT/.venv/bin/comity"
rm -rf "$OUT"
mkdir -p "$OUT"

CBI_HOME="$OUT/cbi-node"
FBI_HOME="$OUT/fbi-node"
cbi() { COMITY_HOME="$CBI_HOME" "$COMITY" "$@"; }
fbi() { COMITY_HOME="$FBI_HOME" "$COMITY" "$@"; }
field() { python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."):
    d = d[int(k)] if k.isdigit() else d[k]
print(d)' "$1"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. Each agency runs its own node"
cbi init --agency "Central Bureau of Investigation" --agency-code CBI --country IN \
  --timezone Asia/Kolkata --url https://comity.cbi.example --json > "$OUT/cbi-init.json"
fbi init --agency "Federal Bureau of Investigation" --agency-code FBI --country US \
  --timezone America/New_York --url https://comity.fbi.example --json > "$OUT/fbi-init.json"
cbi node show
fbi node show

step "2. The nodes become peers (descriptors exchanged, fingerprints compared out of band)"
cbi node export --out "$OUT/cbi-descriptor.json"
fbi node export --out "$OUT/fbi-descriptor.json"
cbi peer add --descriptor "$OUT/fbi-descriptor.json" --json > "$OUT/cbi-peer-fbi.json"
fbi peer add --descriptor "$OUT/cbi-descriptor.json" --json > "$OUT/fbi-peer-cbi.json"
echo "CBI registered FBI, fingerprint $(field fingerprint < "$OUT/cbi-peer-fbi.json")"
echo "FBI registered CBI, fingerprint $(field fingerprint < "$OUT/fbi-peer-cbi.json")"
cbi peer list

step "3. CBI opens a case and a forensic examiner acquires the evidence"
cbi user add r.iyer --role forensic_examiner --role investigator --name "Insp. R. Iyer" --json > /dev/null
CASE_ID=$(cbi case create --title "Fake call centre defrauding US seniors" \
  --summary "Call centre in Noida impersonating US federal agents; victims paid by gift cards and wire." \
  --jurisdiction IN --jurisdiction US --offence "IN:BNS 318(4)" --offence "IN:IT Act 66D" \
  --offence "US:18 U.S.C. 1343" --authority "warrant:SW/114/2026 (CJM Gautam Buddh Nagar)" \
  --agency FBI --json | field id)
cbi case member "$CASE_ID" r.iyer --role examiner > /dev/null
cbi case show "$CASE_ID"

SEIZED="$OUT/seized"
mkdir -p "$SEIZED/chat-export"
python3 - "$SEIZED" <<'PY'
import os, sys, pathlib
root = pathlib.Path(sys.argv[1])
(root / "handset.img").write_bytes(os.urandom(8 * 1024 * 1024))
(root / "chat-export" / "whatsapp.txt").write_text(
    "12/03/2026, 10:14 - Caller: Your SSN is suspended. Buy gift cards worth $2,000.\n"
    "12/03/2026, 10:20 - Caller: Send the codes to this number +91 98765 43210.\n"
)
(root / "chat-export" / "call-log.csv").write_text(
    "time,number,duration\n2026-03-12T04:44:00Z,+12025550143,00:14:11\n"
)
PY
cbi --as r.iyer evidence add "$CASE_ID" "$SEIZED/handset.img" "$SEIZED/chat-export" --md5 --sha1 \
  --examiner "Insp. R. Iyer" --tool "Cellebrite UFED" --tool-version 7.69 \
  --device-type mobile --make Samsung --model "Galaxy A15 (SM-A155F)" --colour black \
  --serial R58W31ABCDE --imei 356938035643809 --seized-at 2026-03-14T11:30:00+05:30 \
  --seizure-timezone Asia/Kolkata --place "Sector 63, Noida, Uttar Pradesh" \
  --authority "warrant SW/114/2026" --json > "$OUT/evidence.json"
ITEM_ID=$(field items.0.id < "$OUT/evidence.json")
cbi evidence list "$CASE_ID"

step "4. The custody ledger: every action is a hash-chained, signed event"
cbi custody log "$ITEM_ID"
cbi custody verify "$CASE_ID"

step "5. CBI exports a signed BagIt package for the FBI (and a sealed copy)"
cbi --as r.iyer evidence export "$CASE_ID" --to FBI --out "$OUT/package-for-fbi.zip" --json > "$OUT/export.json"
cbi --as r.iyer evidence export "$CASE_ID" --items "$ITEM_ID" --to FBI --out "$OUT/package-for-fbi.sealed" --encrypt --json > /dev/null
echo "wrote $OUT/package-for-fbi.zip and the sealed $OUT/package-for-fbi.sealed"

step "6. Anyone can verify the package offline, without a database or network"
"$COMITY" verify "$OUT/package-for-fbi.zip"
"$COMITY" verify "$OUT/package-for-fbi.zip" --trust "$OUT/cbi-descriptor.json"

step "6b. The sealed copy opens only on the FBI's node"
if cbi evidence unseal "$OUT/package-for-fbi.sealed" --out "$OUT/cbi-cannot-open"; then
  echo "the CBI opened a package sealed for the FBI: this must not happen" >&2; exit 1
else
  echo "(exit code $? — only the recipient's key opens it)"
fi
fbi evidence unseal "$OUT/package-for-fbi.sealed" --out "$OUT/unsealed-by-fbi"
"$COMITY" verify "$OUT/unsealed-by-fbi" --trust "$OUT/cbi-descriptor.json"

step "7. A tampered copy is refused, naming exactly what changed"
python3 - "$OUT/package-for-fbi.zip" "$OUT/tampered.zip" <<'PY'
import sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
    for info in zin.infolist():
        data = zin.read(info)
        if info.filename.endswith("whatsapp.txt"):
            data = data.replace(b"$2,000", b"$200")
        zout.writestr(info, data)
PY
if "$COMITY" verify "$OUT/tampered.zip" --trust "$OUT/cbi-descriptor.json"; then
  echo "tampering went unnoticed: this must not happen" >&2; exit 1
else
  echo "(exit code $? — the tampered package is refused)"
fi

step "8. The FBI imports the package: verified, recorded, chain continued, receipt signed"
fbi evidence import "$OUT/package-for-fbi.zip" --receipt-out "$OUT/receipt-from-fbi.json" --json > "$OUT/import.json"
FBI_ITEM=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["items"][0]["id"])' "$OUT/import.json")
fbi custody log "$FBI_ITEM"
fbi custody verify

step "9. CBI records the FBI's receipt: evidence of delivery in its own ledger"
cbi evidence receipt "$OUT/receipt-from-fbi.json"
cbi custody log "$ITEM_ID"

step "10. Certificates for the courts of both countries"
cbi certificate "$ITEM_ID" --law IN-BSA-63 --out "$OUT/certificate-bsa-63.pdf"
cbi certificate "$ITEM_ID" --law IN-BSA-63 --out "$OUT/certificate-bsa-63.md"
fbi certificate "$FBI_ITEM" --law US-FRE-902-14 --out "$OUT/certificate-fre-902-14.pdf"

step "11. Both audit logs are intact"
cbi audit verify
fbi audit verify

step "12. Intelligence: an analyst finds the identifiers in a complaint written in Hindi"
cbi intel extract "$ROOT/demo/data/complaint-hi.txt" --country IN

step "13. CBI builds a collection: its advisory, a MISP event, MITRE ATT&CK (each TLP-marked)"
cbi collection create fraud-infra --title "Fraud infrastructure (India-US)" --json > /dev/null
cbi intel import "$ROOT/demo/data/advisory-in.txt" --collection fraud-infra --country IN --tlp amber
cbi intel import "$ROOT/tests/data/intel/misp/misp.event.53d2f469-9f7f-4e40-8dc1-a721f1b223fb.json" \
  --collection fraud-infra --tlp green
cbi intel import "$ROOT/tests/data/intel/attack/ics-attack-15.0.json" --collection fraud-infra --tlp clear
cbi intel import "$ROOT/demo/data/informant.txt" --collection fraud-infra --country IN --tlp red

step "14. CBI shares the collection with the FBI up to TLP:AMBER; RED never leaves the node"
cbi share --collection fraud-infra --peer FBI --read --max-tlp amber
cbi collection list
cbi intel export --collection fraud-infra --for-peer FBI --out "$OUT/intel-for-fbi.json"

step "15. The FBI's own case names the caller's number as a US victim wrote it"
fbi case create --title "Customs-impersonation calls to seniors in Ohio" \
  --summary "Victim paid \$9,000 in gift cards after calls from 011 91 98765 43210." \
  --jurisdiction US --jurisdiction IN --offence "US:18 U.S.C. 1343" --json > /dev/null
fbi case list

step "16. The FBI pulls what the CBI shares, over TAXII 2.1 (RED and out-of-agreement stay behind)"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cbi serve --port "$PORT" > "$OUT/cbi-serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/taxii2/" -o /dev/null -w '' 2>/dev/null && break
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/taxii2/")" = "401" ] && break
  sleep 0.2
done
fbi peer credentials CBI --from "$OUT/cbi-peer-fbi.json" > /dev/null
fbi intel pull CBI --url "http://127.0.0.1:$PORT"
echo "pulling again fetches only what is new:"
fbi intel pull CBI --url "http://127.0.0.1:$PORT"
kill $SERVER; wait $SERVER 2>/dev/null || true
trap - EXIT

step "17. One search shows the FBI's case and the CBI's intelligence on the same number"
fbi intel search "011 91 98765 43210" --country US

step "18. The FBI may not pass on what the CBI shared under TLP:AMBER"
fbi intel export --max-tlp amber+strict --out "$OUT/fbi-export.json"

step "19. Linkage: the CBI ingests its portal's complaints and finds the fraud networks in them"
cbi link ingest "$ROOT/tests/data/complaints/corpus-in.csv" --country IN
echo "ingesting the same file again changes nothing:"
cbi link ingest "$ROOT/tests/data/complaints/corpus-in.csv" --country IN
cbi link run
echo "the same linkage in DuckDB, the embedded analytical engine for national volumes (same networks, same ids):"
cbi link run --full --engine duckdb
if command -v java > /dev/null || [ -n "${JAVA_HOME:-}" ]; then
  echo "and on Apache Spark, for when one machine is not enough (local mode here):"
  cbi link run --full --engine spark 2> "$OUT/spark.log"
else
  echo "(no Java runtime on this machine: the Spark engine is not shown)"
fi
cbi link networks --top 5
NET=$(cbi link networks --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["networks"][0]["id"])')
cbi link explain "$NET"

step "20. A joint operation: the CBI turns its top network into an operation with the FBI"
cbi operation create --network "$NET" --title "Operation Chakra" --json > "$OUT/operation.json"
OP=$(field id < "$OUT/operation.json")
cbi operation agency add "$OP" FBI=America/New_York
cbi operation target add "$OP" suspect --jurisdiction IN --name "Caller known as 'Rahul from KYC desk'"
cbi operation schedule "$OP" "2026-03-14T06:00+05:30"   # one moment: 06:00 IST, 20:30 EDT the day before
cbi operation status "$OP" active
cbi operation outcome add "$OP" --kind arrests --count 4
cbi operation outcome add "$OP" --kind funds_frozen --amount "2,45,000" --currency INR
cbi operation outcome add "$OP" --kind arrests --count 2 --agency FBI
cbi operation status "$OP" executed
cbi operation show "$OP"
cbi operation stats

step "21. What do the CBI's and the FBI's complaints share? A private match (PSI), through files"
fbi link ingest "$ROOT/tests/data/complaints/corpus-us.jsonl" --country US
cbi collection create complaints --json > /dev/null   # the agreement says who may match
cbi share --collection complaints --peer FBI --read --max-tlp amber
fbi collection create complaints --json > /dev/null
fbi share --collection complaints --peer CBI --read --max-tlp amber
fbi link match-request --peer CBI --out "$OUT/match-request.json"
cbi link match-respond "$OUT/match-request.json" --out "$OUT/match-answer.json"
fbi link match-finish "$OUT/match-answer.json" --out "$OUT/match-result.json"
cbi link match-finish "$OUT/match-result.json"
echo "the CBI's networks now show what the FBI also holds, and only that:"
cbi link run > /dev/null
cbi link networks --json | python3 -c 'import json,sys
for n in json.load(sys.stdin)["networks"]:
    if n["shared_with"]:
        print(n["id"], "shared with", ",".join(n["shared_with"]), [i["value"] for i in n["identifiers"] if i["also_held_by"]])'

step "22. Legal cooperation: what applies between India and the US, every fact with its source"
cbi user add s.menon --role legal_officer --name "S. Menon (legal officer)" --json > /dev/null
cbi legal facts IN --with US --section treaties --section agreements

step "23. The route advisor: a Gmail mailbox, bank records in Germany, the caller in Russia"
cbi legal route --from IN --to US --need content --offence "IN:IT Act 66D"
echo
echo "bank records in Germany (no treaty in the knowledge base: a letter rogatory on reciprocity):"
cbi legal route --from IN --to DE --need bank-records --json | python3 -c 'import json,sys
a = json.load(sys.stdin)
for r in a["routes"]: print("  route:", r["name"], "[" + r["status"] + "]")
for e in a["excluded"]: print("  excluded:", e["name"], "-", e["reason"][:110])'
echo "a person in Russia, and a pair the knowledge base cannot answer:"
cbi legal route --from IN --to RU --need locate-person --json | python3 -c 'import json,sys
a = json.load(sys.stdin); print("  route:", [r["name"] for r in a["routes"]])'
cbi legal route --from IN --to KP --need preservation --json | python3 -c 'import json,sys
a = json.load(sys.stdin); print("  answer:", a["answer"], "-", a["message"])'

step "24. A case's plan: phishing of Indians from Russia through a US e-mail provider, money in Dubai"
PHISH=$(cbi --as r.iyer case create --title "KYC phishing of SBI customers" \
  --summary "Since January 2025 at least 212 Indian citizens received e-mails from kyc.update.sbi@gmail.com asking them to update their KYC; the link led to a copy of the bank's site that took their credentials. The server and the callers were in Russia; INR 4.1 crore went to an account in Dubai." \
  --jurisdiction IN --jurisdiction US --jurisdiction RU --jurisdiction AE \
  --offence "IN:IT Act 66D" --offence "IN:IT Act 66C" --offence "IN:BNS 318(4)" --json | field reference)
cbi --as r.iyer case member "$PHISH" s.menon --role legal > /dev/null
GMAIL="email-addr:kyc.update.sbi@gmail.com"
cbi --as r.iyer legal need add "$PHISH" --need content --in US --holder-name "Google LLC" --what "the mailbox that sent the e-mails" --identifier "$GMAIL"
cbi --as r.iyer legal need add "$PHISH" --need subscriber --in US --holder-name "Google LLC" --identifier "$GMAIL"
cbi --as r.iyer legal need add "$PHISH" --need locate-person --in RU --what "the caller known as 'Vikram'"
cbi --as r.iyer legal need add "$PHISH" --need bank-records --in AE --holder-name "the receiving bank in Dubai"
cbi --as r.iyer legal need add "$PHISH" --need freeze-assets --in AE --holder-name "the receiving bank in Dubai"
cbi --as r.iyer legal plan "$PHISH"

step "25. Drafting: the MLA request to the US, checked against what US law requires"
REQ=$(cbi --as r.iyer request create "$PHISH" --kind mla-request --to US --need content \
  --identifier "$GMAIL" --period 2025-01-01..2025-06-30 \
  --nexus "The mailbox sent the phishing e-mails; its content shows who ran the campaign and where the money went." \
  --assistance "Produce the content of the mailbox for the period, with its headers." \
  --assistance "Who accessed the mailbox, from which IP addresses?" \
  --confidentiality "Do not notify the account holder: the investigation is covert." --json | field id)
echo "request $REQ created; a draft is refused until every required element is there (exit 1):"
set +e
cbi --as r.iyer legal draft "$REQ" --out "$OUT/$REQ.pdf"
echo "(exit $?)"
set -e
echo "the legal officer adds the texts of the penal sections (the package ships none):"
cat > "$OUT/statute-texts.json" <<'JSON'
{"kind": "offences",
 "source": "India Code text, typed by the CBI's legal officer for the demo; not checked against the Gazette",
 "as_of": "2026-11-30", "status": "unverified",
 "entries": [
  {"ref": "IN:IT Act 66D", "country": "IN", "act": "Information Technology Act 2000", "section": "66D",
   "title": "Cheating by personation by using a computer resource", "max_imprisonment": "3 years",
   "text": "Whoever, by means of any communication device or computer resource cheats by personation, shall be punished with imprisonment of either description for a term which may extend to three years and shall also be liable to fine which may extend to one lakh rupees."},
  {"ref": "IN:IT Act 66C", "country": "IN", "act": "Information Technology Act 2000", "section": "66C",
   "title": "Identity theft", "max_imprisonment": "3 years",
   "text": "Whoever, fraudulently or dishonestly make use of the electronic signature, password or any other unique identification feature of any other person, shall be punished with imprisonment of either description for a term which may extend to three years and shall also be liable to fine which may extend to rupees one lakh."},
  {"ref": "IN:BNS 318(4)", "country": "IN", "act": "Bharatiya Nyaya Sanhita 2023", "section": "318(4)",
   "title": "Cheating and dishonestly inducing delivery of property", "max_imprisonment": "7 years",
   "text": "Whoever cheats and thereby dishonestly induces the person deceived to deliver any property to any person, or to make, alter or destroy the whole or any part of a valuable security, or anything which is signed or sealed, and which is capable of being converted into a valuable security, shall be punished with imprisonment of either description for a term which may extend to seven years, and shall also be liable to fine."}
 ]}
JSON
cbi --as s.menon legal kb import "$OUT/statute-texts.json" --note "IT Act and BNS texts for MLA requests"
cbi --as r.iyer request set "$REQ" --probable-cause "212 victims received e-mails sent from this account linking to a copy of the bank's site; 37 of them then lost money to the account in Dubai (complaints NCRP-2025-0114 to -0326)." > /dev/null
cbi --as r.iyer legal draft "$REQ" --out "$OUT/$REQ.pdf"
cbi --as r.iyer legal draft "$REQ" --out "$OUT/$REQ.docx"
cbi --as s.menon legal kb versions

step "26. Tracking: a preservation with its deadline, the MLA request through its states"
PRES=$(cbi --as r.iyer request create "$PHISH" --kind preservation --to US --need content \
  --identifier "$GMAIL" --custodian "Google LLC, Mountain View, California" \
  --nexus "The mailbox sent the phishing e-mails." --necessity "Mailbox content can be deleted by its user at any time." \
  --follow-up --json | field id)
ago() { python3 -c 'import datetime as d, sys; print((d.datetime.now(d.timezone.utc) - d.timedelta(days=int(sys.argv[1]))).strftime("%Y-%m-%dT%H:%M+00:00"))' "$1"; }
SENT=$(ago 80)
cbi --as r.iyer request advance "$PRES" --state review --at "$(ago 81)" > /dev/null
cbi --as s.menon request advance "$PRES" --state transmitted --at "$SENT" --note "sent to OIA and the FBI legal attaché" > /dev/null
echo "transmitted 80 days ago: under 18 U.S.C. 2703(f) it lapses in 10 days, and the MLA request it promised is due:"
cbi --as s.menon request due --within 14d
cbi --as s.menon request renew "$PRES" --note "renewal acknowledged by Google" > /dev/null
echo "renewed once for 90 days (the law allows one renewal):"
cbi --as s.menon request show "$PRES"
cbi --as r.iyer request advance "$REQ" --state review > /dev/null
cbi --as s.menon request advance "$REQ" --state central-authority-approval --note "MHA approved" > /dev/null
echo "a move that skips a state is refused (exit 2):"
set +e
cbi --as s.menon request advance "$PRES" --state closed
echo "(exit $?)"
set -e

step "27. The request travels to the FBI as a signed file; its status comes back the same way"
cbi --as s.menon request export "$REQ" --to FBI --out "$OUT/request-for-fbi.json"
cbi --as s.menon request advance "$REQ" --state transmitted --note "sent to DOJ OIA" > /dev/null
fbi request import "$OUT/request-for-fbi.json" --json > "$OUT/fbi-received.json"
FREQ=$(field request < "$OUT/fbi-received.json")
echo "the FBI recorded it as $FREQ, with the PDF the CBI rendered, and files it under a case of its own:"
FCASE=$(fbi case create --title "MLAT execution: CBI's KYC phishing case" --jurisdiction US \
  --jurisdiction IN --json | field reference)
fbi request attach "$FREQ" --case "$FCASE" --note "OIA: executing office" > /dev/null
fbi request show "$FREQ"
fbi request advance "$FREQ" --state acknowledged --note "received by OIA" > /dev/null
fbi request advance "$FREQ" --state executing --note "warrant sought under 18 U.S.C. 3512" > /dev/null
fbi request status-export "$FREQ" --out "$OUT/status-for-cbi.json"
cbi --as s.menon request import "$OUT/status-for-cbi.json"
cbi --as s.menon request list --case "$PHISH"
cbi --as s.menon request stats

step "Done"
echo "Everything the demo produced is in $OUT:"
ls -1 "$OUT"
