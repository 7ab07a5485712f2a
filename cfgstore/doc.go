// Package cfgstore keeps the appliance's configuration on its boot medium
// (microSD or eMMC) in two slots written alternately, so that a power cut
// at any byte of a write leaves the previous configuration in force.
//
// # Layout
//
// Block numbers are 512-byte LBAs of the card. The i.MX boot ROM reads the
// firmware image (.imx) at byte 1024 (LBA 2); it is about 9 MiB. The store
// sits at a fixed place past it, DefaultLayout:
//
//	LBA 0              MBR: one partition, type 0xDA, over the store (written by
//	                   imgtool sdimage so partitioning tools see the space is taken)
//	LBA 2 ...          firmware .imx (at most 32 MiB - 1 KiB)
//	LBA 65536..67583   slot A (1 MiB)
//	LBA 67584..69631   slot B (1 MiB)
//
// The firmware does not need the MBR: the place is fixed, so a card that
// holds only the .imx (dd ... bs=1k seek=1) still gets a store on the first
// write. It reads LBA 0 only to refuse writes when a partition of another
// type overlaps the store.
//
// # Slot
//
// A slot is a header block followed by the payload. The header
// (little-endian):
//
//	0   8  magic "FOSBCONF"
//	8   4  format version (1)
//	12  4  payload length in bytes
//	16  8  sequence number (1 for the first write, +1 for each write)
//	24 32  SHA-256 of the payload
//	56  4  CRC-32 (IEEE) of bytes 0..55
//	60     zero to the end of the block
//
// The payload is a ustar archive (archive/tar: a standard format any host
// can list with `tar tv`) of regular files named after Config's fields:
// fosbury.conf, fosbury.rules, fosbury.auth, fosbury.options.
//
// # Rules
//
// Open reads both slots; the valid one with the higher sequence number is
// current. A slot is valid when its header's CRC, magic, version and
// length are right, its payload matches the SHA-256, the archive decodes
// and the store's Check accepts the configuration. Neither valid: the
// caller uses its compiled-in defaults.
//
// Write encodes the new configuration, writes it to the slot that is not
// current — payload blocks first, the header block last — then reads the
// slot back and decodes it. Only then does it become current, in memory
// and, by its higher sequence number, on the medium. Until the header's
// last byte is down the slot being written is not valid (the old header
// over new payload bytes fails the SHA-256, a torn header its CRC or its
// zero tail), so the current slot stays in force.
package cfgstore
