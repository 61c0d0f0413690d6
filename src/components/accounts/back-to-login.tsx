import Link from 'next/link'

/** Under the card of the password pages: the way back to /login. */
export function BackToLogin() {
  return (
    <p className="mt-4 text-center text-sm">
      <Link href="/login" className="link">
        Retour à la connexion
      </Link>
    </p>
  )
}
