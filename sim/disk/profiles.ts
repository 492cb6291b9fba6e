/**
 * Device and NIC figures from public data sheets, so that a named hardware profile means
 * something a person can check.
 */
import type { DeviceSpec } from "./BlockDevice.js";

const GB = 1_000_000_000;
const MB = 1_000_000;

/**
 * 7,200 rpm enterprise HDD. Seagate Exos 7E8 data sheet: average latency 4.16 ms (half a
 * revolution at 7,200 rpm), sustained transfer 215 MB/s; seek ~8.5 ms read is typical of the
 * class (WD Ultrastar DC HC310: 7.7 ms read seek).
 */
export const HDD_7200: DeviceSpec = {
  kind: "hdd",
  capacityBytes: 4000 * GB,
  avgSeekUs: 8_500,
  avgRotationUs: 4_160,
  readLatencyUs: 0,
  writeLatencyUs: 0,
  readBytesPerSecond: 215 * MB,
  writeBytesPerSecond: 215 * MB,
  iops: 0,
  queueDepth: 1,
};

/**
 * SATA SSD. Samsung 860 EVO data sheet: sequential read 550 MB/s, write 520 MB/s; random 4 KB
 * read 98K IOPS, write 90K IOPS (QD32). Access latency ~100 µs is typical of SATA flash.
 */
export const SATA_SSD: DeviceSpec = {
  kind: "ssd",
  capacityBytes: 1000 * GB,
  avgSeekUs: 0,
  avgRotationUs: 0,
  readLatencyUs: 100,
  writeLatencyUs: 60,
  readBytesPerSecond: 550 * MB,
  writeBytesPerSecond: 520 * MB,
  iops: 90_000,
  queueDepth: 32,
};

/**
 * NVMe SSD. Samsung 970 EVO Plus (1 TB) data sheet: sequential read 3,500 MB/s, write
 * 3,300 MB/s; random 4 KB read 600K IOPS, write 550K IOPS; ~20 µs access latency.
 */
export const NVME_SSD: DeviceSpec = {
  kind: "nvme",
  capacityBytes: 1000 * GB,
  avgSeekUs: 0,
  avgRotationUs: 0,
  readLatencyUs: 20,
  writeLatencyUs: 20,
  readBytesPerSecond: 3500 * MB,
  writeBytesPerSecond: 3300 * MB,
  iops: 550_000,
  queueDepth: 64,
};

/** Ethernet line rates in bytes per second (IEEE 802.3: 1, 10, 25 Gbit/s). */
export const ETHERNET_1G = 125_000_000;
export const ETHERNET_10G = 1_250_000_000;
export const ETHERNET_25G = 3_125_000_000;

export interface HardwareProfile {
  name: string;
  description: string;
  disk: DeviceSpec;
  /** Identical disks of that spec (JBOD: a broker gets one log dir per disk); a scenario may override it per broker. */
  disks: number;
  nicBytesPerSecond: number;
  memoryBytes: number;
}

const GiB = 1024 * 1024 * 1024;

export const HARDWARE_PROFILES: Readonly<Record<string, HardwareProfile>> = {
  "hdd-1gbe": {
    name: "hdd-1gbe",
    description: "7,200 rpm HDD, 1 GbE, 32 GiB RAM",
    disk: HDD_7200,
    disks: 1,
    nicBytesPerSecond: ETHERNET_1G,
    memoryBytes: 32 * GiB,
  },
  "ssd-10gbe": {
    name: "ssd-10gbe",
    description: "SATA SSD, 10 GbE, 64 GiB RAM",
    disk: SATA_SSD,
    disks: 1,
    nicBytesPerSecond: ETHERNET_10G,
    memoryBytes: 64 * GiB,
  },
  "nvme-25gbe": {
    name: "nvme-25gbe",
    description: "NVMe SSD, 25 GbE, 128 GiB RAM",
    disk: NVME_SSD,
    disks: 1,
    nicBytesPerSecond: ETHERNET_25G,
    memoryBytes: 128 * GiB,
  },
};
