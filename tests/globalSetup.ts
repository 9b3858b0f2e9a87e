/**
 * Before any suite: the pinned Pulumi toolchain, built on first use (with progress) or
 * reused, so the real-engine suites find it through CALICO_IPIP_LAB_PULUMI_DIR.
 */
import { toolchainDir } from "../toolchain";

export default function globalSetup(): void {
  toolchainDir();
}
