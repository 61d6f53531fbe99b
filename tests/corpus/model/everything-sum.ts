const lastNumber = (s: string) => Number(s.match(/-?\d+(?:\.\d+)?(?=\D*$)/)![0]);
const first = lastNumber(await everything.get_sum({ a: 1234, b: 4321 }));
return lastNumber(await everything.get_sum({ a: first, b: 1000 }));
