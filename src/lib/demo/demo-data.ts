/**
 * Demo data (data only, no Prisma import): two fictional cabinets with their users and dossiers,
 * written by the seed script. All people and companies are invented. Descriptions carry concrete
 * dates and amounts in euros so the local analyser (src/lib/analyses/analyzer.ts) has something to find.
 * Dates are absolute (written in November 2026): as time passes, the urgencies they produce drop.
 */

export interface DemoDossier {
  reference: string
  title: string
  clientName: string
  description: string
  status: 'OPEN' | 'IN_PROGRESS' | 'CLOSED' | 'ARCHIVED'
  createdDaysAgo: number
}

export interface DemoCabinet {
  id: string
  name: string
  plan: 'FREE' | 'PREMIUM'
  referencePrefix: string
  users: { email: string; name: string; role: 'ADMIN' | 'AVOCAT' | 'ASSISTANT' }[]
  dossiers: DemoDossier[]
}

/** Password of every demo user (demo only: never reuse it for a real account). */
export const DEMO_PASSWORD = 'demo-password'

export const DEMO_CABINETS: DemoCabinet[] = [
  {
    id: 'cabinet-dupont',
    name: 'Cabinet Dupont',
    plan: 'PREMIUM',
    referencePrefix: 'DUP',
    users: [
      { email: 'demo@cabinet-dupont.fr', name: 'Claire Dupont', role: 'ADMIN' },
      { email: 'avocat@cabinet-dupont.fr', name: 'Antoine Rousseau', role: 'AVOCAT' },
      { email: 'assistant@cabinet-dupont.fr', name: 'Léa Fournier', role: 'ASSISTANT' },
    ],
    dossiers: [
      {
        reference: 'DUP-2026-001',
        title: 'Succession Martin',
        clientName: 'Hélène Martin',
        description:
          "Mme Hélène Martin conteste le projet de partage de la succession de son père, décédé le 4 février 2026. L'actif successoral est évalué à 480 000 €, dont un appartement à Lyon estimé à 310 000 €. Le délai pour exercer l'option successorale expire le 04/02/2027 ; le rendez-vous chez le notaire est fixé au 15 janvier 2027.",
        status: 'OPEN',
        createdDaysAgo: 95,
      },
      {
        reference: 'DUP-2026-002',
        title: 'Bail commercial Boulangerie Lefèvre',
        clientName: 'SARL Boulangerie Lefèvre',
        description:
          'Le bailleur des locaux commerciaux de la SARL Boulangerie Lefèvre demande que le loyer soit porté à 3 200 € par mois, contre 2 450 € actuellement. Le renouvellement du bail commercial prend effet le 1er janvier 2027. Notre mémoire en réponse doit être notifié au plus tard le 15/12/2026.',
        status: 'IN_PROGRESS',
        createdDaysAgo: 60,
      },
      {
        reference: 'DUP-2026-003',
        title: 'Divorce Bernard',
        clientName: 'Sophie Bernard',
        description:
          'Divorce par consentement mutuel de M. et Mme Bernard, convention signée le 12 septembre 2026. Prestation compensatoire de 35 000 € versée en capital et pension alimentaire de 400 € par mois et par enfant. Dossier clôturé après le dépôt de la convention au rang des minutes du notaire.',
        status: 'CLOSED',
        createdDaysAgo: 118,
      },
      {
        reference: 'DUP-2026-004',
        title: 'Licenciement pour faute grave Petit',
        clientName: 'Thomas Petit',
        description:
          "M. Thomas Petit, salarié depuis 2015, conteste son licenciement pour faute grave notifié le 8 octobre 2026. Nous réclamons 28 500 € de dommages et intérêts pour licenciement sans cause réelle et sérieuse et 4 200 € d'indemnité compensatrice de préavis. L'audience de conciliation devant le conseil de prud'hommes de Nanterre est fixée au 02/12/2026.",
        status: 'IN_PROGRESS',
        createdDaysAgo: 45,
      },
      {
        reference: 'DUP-2026-005',
        title: 'Recouvrement de factures Transports Garnier',
        clientName: 'SAS Transports Garnier',
        description:
          'La SAS Transports Garnier détient une créance commerciale de 67 850,40 € sur un grossiste, correspondant à douze factures impayées émises entre mars et juin 2026. Une mise en demeure a été adressée par le cabinet le 03/11/2026, restée sans réponse. La requête en injonction de payer devant le tribunal de commerce de Lyon doit être déposée avant le 31 janvier 2027.',
        status: 'OPEN',
        createdDaysAgo: 30,
      },
      {
        reference: 'DUP-2026-006',
        title: 'Vice caché véhicule Roux',
        clientName: 'Nicolas Roux',
        description:
          "M. Roux a acquis le 3 mars 2026 un véhicule d'occasion pour 18 900 € ; une expertise a révélé un vice caché affectant la boîte de vitesses. Nous demandons la résolution de la vente et 2 300 € de dommages et intérêts. L'assignation devant le tribunal judiciaire de Bordeaux doit être délivrée avant le 3 mars 2027, date de prescription de l'action.",
        status: 'OPEN',
        createdDaysAgo: 20,
      },
      {
        reference: 'DUP-2026-007',
        title: 'Garde des enfants Moreau',
        clientName: 'Julie Moreau',
        description:
          "Mme Moreau demande la résidence alternée de ses deux enfants et la révision de la pension alimentaire, fixée à 250 € par mois par le jugement du 14/05/2024. L'audience devant le juge aux affaires familiales de Créteil aura lieu le 18 décembre 2026.",
        status: 'OPEN',
        createdDaysAgo: 12,
      },
      {
        reference: 'DUP-2026-008',
        title: 'Rupture conventionnelle Fabre',
        clientName: 'Isabelle Fabre',
        description:
          "Négociation d'une rupture conventionnelle pour Mme Fabre, cadre depuis neuf ans, avec une indemnité spécifique de 42 000 € brut. L'employeur propose un second entretien le 3 décembre 2026. Le délai de rétractation de quinze jours courra à compter de la signature de la convention.",
        status: 'IN_PROGRESS',
        createdDaysAgo: 35,
      },
      {
        reference: 'DUP-2026-009',
        title: 'Cession du fonds de commerce Café des Arts',
        clientName: 'EURL Café des Arts',
        description:
          "Rédaction de l'acte de cession du fonds de commerce du Café des Arts pour un prix de 185 000 €, dont 25 000 € au titre du matériel. La signature est prévue le 20/01/2027, sous réserve de l'obtention du prêt du cessionnaire. Les oppositions des créanciers devront être formées dans les dix jours suivant la publication de la vente.",
        status: 'OPEN',
        createdDaysAgo: 8,
      },
      {
        reference: 'DUP-2026-010',
        title: 'Copropriété Les Tilleuls : infiltrations Lambert',
        clientName: 'Marc Lambert',
        description:
          "M. Lambert, copropriétaire, subit des infiltrations provenant de la toiture de l'immeuble, que le syndic ne traite pas depuis janvier 2026. Les travaux de réparation sont chiffrés à 12 400 € et le préjudice de jouissance à 3 000 €. L'assemblée générale de la copropriété se tiendra le 9 décembre 2026.",
        status: 'IN_PROGRESS',
        createdDaysAgo: 70,
      },
      {
        reference: 'DUP-2026-011',
        title: 'Harcèlement moral Chevalier',
        clientName: 'Camille Chevalier',
        description:
          "Le conseil de prud'hommes de Paris a reconnu le 2 octobre 2026 le harcèlement moral subi par Mme Chevalier, salariée d'une agence de communication. L'employeur a été condamné à lui verser 15 000 € de dommages et intérêts. Le délai d'appel a expiré le 2 novembre 2026 sans recours.",
        status: 'CLOSED',
        createdDaysAgo: 110,
      },
      {
        reference: 'DUP-2026-012',
        title: 'Accident de la circulation Girard',
        clientName: 'Paul Girard',
        description:
          "M. Girard a été blessé le 22 août 2026 dans un accident de la circulation causé par un conducteur assuré. L'offre d'indemnisation de l'assureur, 9 500 €, est insuffisante au regard du rapport d'expertise médicale, qui chiffre le préjudice corporel à 38 000 €. L'assureur doit répondre avant le 05/01/2027, date limite fixée par notre mise en demeure.",
        status: 'OPEN',
        createdDaysAgo: 3,
      },
    ],
  },
  {
    id: 'cabinet-martin',
    name: 'Cabinet Martin',
    plan: 'FREE',
    referencePrefix: 'MAR',
    users: [
      { email: 'demo@cabinet-martin.fr', name: 'Julien Martin', role: 'ADMIN' },
      { email: 'avocat@cabinet-martin.fr', name: 'Sarah Benali', role: 'AVOCAT' },
    ],
    dossiers: [
      {
        reference: 'MAR-2026-001',
        title: 'Licenciement économique Dubois',
        clientName: 'Karim Dubois',
        description:
          "M. Dubois, magasinier en CDI depuis 2011, a été licencié pour motif économique le 30 septembre 2026 sans proposition de reclassement. Nous demandons 32 000 € de dommages et intérêts et le paiement de 1 850 € d'heures supplémentaires. L'audience de jugement devant le conseil de prud'hommes de Lille est fixée au 11 mars 2027.",
        status: 'IN_PROGRESS',
        createdDaysAgo: 55,
      },
      {
        reference: 'MAR-2026-002',
        title: 'Factures impayées Menuiserie Perrin',
        clientName: 'SARL Menuiserie Perrin',
        description:
          "La SARL Menuiserie Perrin poursuit le recouvrement de 23 740 € de factures impayées auprès d'un promoteur. L'ordonnance d'injonction de payer rendue le 02/11/2026 a été signifiée le 16/11/2026. Le débiteur peut former opposition jusqu'au 16 décembre 2026.",
        status: 'OPEN',
        createdDaysAgo: 25,
      },
      {
        reference: 'MAR-2026-003',
        title: 'Divorce contentieux Lemoine',
        clientName: 'Nathalie Lemoine',
        description:
          "Mme Lemoine a engagé une procédure de divorce pour altération définitive du lien conjugal ; l'ordonnance sur mesures provisoires du 7 juillet 2026 lui a attribué la jouissance du domicile conjugal. Elle sollicite une prestation compensatoire de 60 000 € et une pension alimentaire de 600 € par mois pour les deux enfants. Nos conclusions doivent être signifiées avant le 15/01/2027.",
        status: 'IN_PROGRESS',
        createdDaysAgo: 100,
      },
      {
        reference: 'MAR-2026-004',
        title: "Bail d'habitation : loyers impayés Simon",
        clientName: 'Gérard Simon',
        description:
          "M. Simon, bailleur d'un appartement à Nantes, réclame à sa locataire 5 400 € de loyers impayés depuis avril 2026. Le commandement de payer visant la clause résolutoire du bail d'habitation a été délivré le 21/10/2026. L'audience d'expulsion devant le juge des contentieux de la protection est fixée au 28 janvier 2027.",
        status: 'OPEN',
        createdDaysAgo: 40,
      },
      {
        reference: 'MAR-2026-005',
        title: 'Concurrence déloyale Atelier Vasseur',
        clientName: 'SAS Atelier Vasseur',
        description:
          "La SAS Atelier Vasseur reproche à un ancien commercial d'avoir détourné sa clientèle au profit d'une société concurrente créée en mai 2026. Le chiffre d'affaires perdu est estimé à 140 000 €, et nous sollicitons en outre 20 000 € au titre du préjudice d'image. L'assignation en concurrence déloyale devant le tribunal de commerce de Rouen est à délivrer avant le 28/02/2027.",
        status: 'OPEN',
        createdDaysAgo: 15,
      },
      {
        reference: 'MAR-2026-006',
        title: 'Malfaçons maison Leroy',
        clientName: 'Émilie Leroy',
        description:
          "Les époux Leroy constatent des fissures importantes dans leur maison, réceptionnée le 10 avril 2024, et mettent en cause la garantie décennale du constructeur. Le devis de reprise s'élève à 46 300 € et l'assureur dommages-ouvrage a refusé sa garantie le 05/11/2026. La réunion d'expertise amiable est prévue le 8 janvier 2027.",
        status: 'OPEN',
        createdDaysAgo: 18,
      },
      {
        reference: 'MAR-2026-007',
        title: 'Adoption plénière Caron',
        clientName: 'Antoine Caron',
        description:
          "Requête en adoption plénière de l'enfant de l'épouse de M. Caron, déposée au tribunal judiciaire de Lille le 12 novembre 2026. Les honoraires du cabinet sont fixés forfaitairement à 1 500 €. L'audience en chambre du conseil est fixée au 4 février 2027.",
        status: 'OPEN',
        createdDaysAgo: 22,
      },
      {
        reference: 'MAR-2026-008',
        title: 'Contestation de sanction Benoît',
        clientName: 'Hugo Benoît',
        description:
          "M. Benoît contestait un avertissement et une retenue sur salaire de 780 € appliqués par son employeur en mai 2026. Après l'intervention du cabinet, l'employeur a retiré la sanction et remboursé la somme le 6 octobre 2026. Dossier clos.",
        status: 'CLOSED',
        createdDaysAgo: 90,
      },
      {
        reference: 'MAR-2026-009',
        title: 'Cession de parts SARL Garage Fontaine',
        clientName: 'SARL Garage Fontaine',
        description:
          "Accompagnement des associés de la SARL Garage Fontaine dans la cession de parts sociales à deux repreneurs, pour un prix total de 210 000 €. Le pacte d'associés prévoit une garantie d'actif et de passif plafonnée à 30 000 €. Échéance du calendrier : la signature de l'acte de cession, fixée au 10/12/2026.",
        status: 'IN_PROGRESS',
        createdDaysAgo: 65,
      },
      {
        reference: 'MAR-2026-010',
        title: 'Servitude de passage Mercier',
        clientName: 'Bernard Mercier',
        description:
          "M. Mercier conteste la servitude de passage revendiquée par son voisin sur sa parcelle, en s'appuyant sur l'acte de vente immobilière du 18 juin 1998. Le voisin réclame 8 000 € de dommages et intérêts pour entrave au passage. Une tentative de médiation est programmée le 14 janvier 2027.",
        status: 'OPEN',
        createdDaysAgo: 75,
      },
      {
        reference: 'MAR-2026-011',
        title: 'Référé provision erreur médicale Roussel',
        clientName: 'Sylvie Roussel',
        description:
          "Mme Roussel, opérée le 12 février 2026, a subi une erreur médicale et sollicite une provision de 25 000 € à valoir sur l'indemnisation de son préjudice. L'assignation en référé devant le président du tribunal judiciaire de Marseille est en préparation. L'audience pourrait se tenir le 5 février 2027.",
        status: 'OPEN',
        createdDaysAgo: 0,
      },
      {
        reference: 'MAR-2026-012',
        title: 'Succession Aubert',
        clientName: 'Famille Aubert',
        description:
          "Règlement de la succession de M. Roger Aubert, décédé le 3 novembre 2024, entre ses trois enfants. L'actif net de 256 000 € a été partagé par acte notarié du 21 septembre 2026 et les droits de succession, soit 14 320 €, ont été acquittés. Dossier archivé.",
        status: 'ARCHIVED',
        createdDaysAgo: 120,
      },
    ],
  },
]
