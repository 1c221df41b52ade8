// CNI_DOCTOR_DEBUG=flag[,flag…]: diagnostics for tests and for looking inside (README, Development).

export function debugOn(flag: string): boolean {
  return (process.env.CNI_DOCTOR_DEBUG ?? '').split(',').includes(flag);
}
